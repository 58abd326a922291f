// The recommended baseline (docs/policies/posture-baseline.yaml, byte for byte; a test keeps the
// two equal): what `sathos posture` enforces when no policy is given.
import type { Policy } from '../policy/document/document.js';
import { parsePolicy } from '../policy/document/document.js';

export const BASELINE_POLICY_URI = 'embedded:posture-baseline';

export const BASELINE_POLICY_TEXT = `# SATHOS recommended baseline for workflow posture: what \`sathos posture\` enforces when no policy
# is given. docs/policy.md ("A baseline for workflows") explains each rule and the attack it stops.
apiVersion: sathos.dev/v1
kind: Policy
metadata:
  name: posture-baseline
stages: [source]
# The posture decision reads only \`posture:\`; copy that section into your own policy, whose
# identities name your signers. This one accepts any GitHub Actions workflow as the source signer.
identities:
  source:
    - issuer: https://token.actions.githubusercontent.com
      subjectRegexp: 'https://github\\.com/.+'
posture:
  deny:
    # A privileged trigger (pull_request_target, workflow_run, issue_comment) checks out a pull
    # request's head: its code runs with the base repository's token and secrets (Nx, 2025).
    - untrusted-checkout
    # A title, branch name or commit message spliced into a run: script is shell code (Nx, 2025).
    - expression-injection
    # A third-party action by tag or branch runs whatever the tag names today
    # (tj-actions/changed-files and reviewdog in 2025, aquasecurity/trivy-action).
    - unpinned-action
    # A token that may write everything turns any compromised step into a repository takeover.
    - token-write-all
    - token-default-permissions
    - token-workflow-write
    # The token left in .git/config is readable by every later step and by workspace uploads.
    - persist-credentials
    # A cache any pull request run could write is restored into the release build.
    - cache-in-release
    # Outsider-triggered code on a persistent self-hosted runner outlives the job.
    - self-hosted-untrusted
    # \`secrets: inherit\` hands every secret to a workflow of another repository.
    - secrets-inherit
  # A lock committed at .github/sathos-actions.lock.json must match what the workflows run now.
  lock: if-present
  rules:
    # A job that calls a workflow of this repository runs no step: its id-token grant only caps
    # the called jobs, which are judged themselves (as caller/called).
    - id: oidc-only-in-deployment-jobs
      expression: "workflow.jobs.all(j, j.permissions['id-token'] != 'write' || j.environment != '' || j.uses.exists(u, u.workflow && u.kind == 'local'))"
      message: only a job gated by a deployment environment may mint an OIDC token (id-token write)
    - id: every-third-party-action-pinned
      expression: 'workflow.actions.all(a, a.pinned || a.firstParty)'
      message: every third-party action, also those run by composite actions and called workflows, must be pinned by commit SHA
    - id: no-untrusted-code-with-secrets
      expression: 'workflow.jobs.all(j, !(j.untrustedCheckout && j.holdsPower))'
      message: no job may check out a pull request's code while it holds secrets or a write token
`;

let parsed: Policy | undefined;

/** The baseline, parsed once. */
export function baselinePolicy(): Policy {
  parsed ??= parsePolicy(BASELINE_POLICY_TEXT, BASELINE_POLICY_URI);
  return parsed;
}
