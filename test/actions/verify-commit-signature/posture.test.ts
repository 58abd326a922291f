// The workflow posture at the source stage: a policy with a posture: section makes the action judge
// the workflows of the commit the run builds (read from git objects, remote actions resolved through
// a loopback GitHub API) before it signs the source record. A denial fails the step and writes no
// record; an allowed posture joins the record's evidence, where the policy's rules read it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  WORKFLOW_POSTURE_V1,
  createBundleVerifier,
  evaluateChainPolicy,
  parseChainText,
  parsePolicy,
  parsePublicKeys,
  publicGoodTrust,
  verifyChain,
  type Statement,
} from '@sathos/core';
import { recordingIO, type RecordedIO } from '@sathos/github';
import { startGitHubStandIn, type GitHubStandIn } from '@sathos/github/testing';
import { run } from '../../../actions/verify-commit-signature/src/main.js';
import { allowedSignersLine } from '../../commits/repo-builder.js';
import { ActionFixture, REPOSITORY } from './fixture.js';

const CHECKOUT_SHA = '11bd71901bbe5b1630ceea73d27597364c9af683';
const LINT_CLEAN = 'a'.repeat(40);
const LINT_TAINTED = 'b'.repeat(40);
const CHANGED_FILES = 'c'.repeat(40);
const WORKFLOW = '.github/workflows/ci.yml';
const LOCK_FILE = '.github/sathos-actions.lock.json';

/** A least-privilege workflow: read-only token, every action pinned, no credentials left behind. */
const workflow = (lint: string, extra = ''): string =>
  [
    'name: ci',
    'on:',
    '  push:',
    '    branches: [main]',
    'permissions:',
    '  contents: read',
    'jobs:',
    '  build:',
    '    runs-on: ubuntu-24.04',
    '    steps:',
    `      - uses: actions/checkout@${CHECKOUT_SHA} # v4.2.2`,
    '        with:',
    '          persist-credentials: false',
    `      - uses: octo-tools/lint@${lint}`,
    extra,
    '      - run: npm ci && npm test',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n');

const HARDENED = workflow(LINT_CLEAN);
/** The tj-actions/changed-files shape: a third-party action by a tag its owner (or a thief) can move. */
const UNPINNED = workflow(LINT_CLEAN, '      - uses: tj-actions/changed-files@v45');
const UNPINNED_LINE = UNPINNED.split('\n').findIndex((l) => l.includes('changed-files')) + 1;
/** Pinned itself, but the composite action it names runs a third-party action by branch. */
const TRANSITIVE = workflow(LINT_TAINTED);

const composite = (steps: string): string =>
  `name: lint\ndescription: lint the sources\nruns:\n  using: composite\n  steps:\n${steps}`;

/** YAML block-scalar content: every line indented by `spaces`. */
const block = (text: string, spaces: number): string =>
  text
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');

function statementsOf(chain: string): Statement[] {
  return readFileSync(chain, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { dsseEnvelope: { payload: string } })
    .map(
      (b) =>
        JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8')) as Statement,
    );
}

void describe('verify-commit-signature with a policy that has a posture: section', () => {
  let fx: ActionFixture;
  let github: GitHubStandIn;
  let policy: string;
  let noPosture: string;
  let hardened: string;
  let unpinned: string;
  let transitive: string;
  let malformed: string;
  let moved: string;
  let badLock: string;
  let lockPolicy: string;
  before(async () => {
    fx = new ActionFixture();
    const alice = allowedSignersLine('alice@example.com', fx.alice, 'namespaces="git"');
    const base = [
      'apiVersion: sathos.dev/v1',
      'kind: Policy',
      'stages: [source]',
      'identities:',
      `  source: [{ keyId: "${fx.recordKey.keyId}" }]`,
      'rules:',
      '  - id: source-posture-recorded',
      '    stage: source',
      '    expression: "evidence.workflowPosture.decision.allowed == true"',
      '    message: the source record carries an allowed workflow posture',
      'commits:',
      '  signers:',
      '    allowedSigners: |',
      block(alice, 6),
      '',
    ].join('\n');
    policy = join(fx.work, 'policy.yml');
    writeFileSync(
      policy,
      [
        base,
        'posture:',
        '  deny: [unpinned-action, token-default-permissions, persist-credentials]',
        '  lock: if-present',
        '  rules:',
        '    - id: every-third-party-action-pinned',
        "      expression: 'workflow.actions.all(a, a.pinned || a.firstParty)'",
        '      message: every third-party action, transitive ones included, is pinned by commit SHA',
        '',
      ].join('\n'),
    );
    noPosture = join(fx.work, 'no-posture.yml');
    writeFileSync(noPosture, base.replace(/rules:\n(?: {2}.*\n)+/, ''));
    const signed = { signing: { ssh: fx.alice.privatePath } };
    hardened = fx.repo.commit({ ...signed, files: { [WORKFLOW]: HARDENED } });
    unpinned = fx.repo.commit({ ...signed, files: { [WORKFLOW]: UNPINNED } });
    transitive = fx.repo.commit({ ...signed, files: { [WORKFLOW]: TRANSITIVE } });
    // The lock was written when v45 named another commit: the tag has moved since.
    const lock = (sha: string): string =>
      `${JSON.stringify({
        version: 1,
        actions: [
          { uses: `actions/checkout@${CHECKOUT_SHA}`, sha: CHECKOUT_SHA },
          { uses: 'tj-actions/changed-files@v45', sha },
          { uses: `octo-tools/lint@${LINT_CLEAN}`, sha: LINT_CLEAN },
        ],
      })}\n`;
    moved = fx.repo.commit({
      ...signed,
      files: { [WORKFLOW]: UNPINNED, [LOCK_FILE]: lock('e'.repeat(40)) },
    });
    badLock = fx.repo.commit({ ...signed, files: { [LOCK_FILE]: '{"version": 1, "actions": 7}' } });
    lockPolicy = join(fx.work, 'lock-policy.yml');
    writeFileSync(
      lockPolicy,
      readFileSync(policy, 'utf8').replace(
        /posture:\n(?:.*\n)+/,
        'posture:\n  deny: [token-write-all]\n  lock: required\n',
      ),
    );
    malformed = fx.repo.commit({
      ...signed,
      files: { [WORKFLOW]: 'on: push\njobs:\n  build:\n    steps:\n      - run: make\n' },
    });
    github = await startGitHubStandIn({
      apiToken: 'ghs_test',
      commits: {
        'tj-actions/changed-files@v45': CHANGED_FILES,
        'evil-org/setup-lint@main': 'd'.repeat(40),
      },
      files: {
        [`octo-tools/lint/action.yml@${LINT_CLEAN}`]: composite(
          '    - run: lint .\n      shell: bash\n',
        ),
        [`octo-tools/lint/action.yml@${LINT_TAINTED}`]: composite(
          '    - uses: evil-org/setup-lint@main\n',
        ),
      },
    });
  });
  after(async () => {
    await github.close();
    fx.dispose();
  });

  const runAt = async (
    head: string,
    chain: string,
    path = policy,
    env: Record<string, string> = {},
  ): Promise<RecordedIO> => {
    const io = recordingIO();
    await run(
      fx.inputs({
        chain: fx.chainPath(chain),
        signers: { kind: 'policy', path },
        commits: { kind: 'range', base: fx.commits[2], head },
      }),
      {
        env: fx.env('workflow_dispatch', '', head, { GITHUB_API_URL: github.apiUrl, ...env }),
        fetch,
        io,
      },
    );
    return io;
  };

  void describe('when a workflow runs a third-party action by a movable tag', () => {
    let io: RecordedIO;
    before(async () => {
      io = await runAt(unpinned, 'unpinned');
    });

    void it('denies the source step, naming the rule, the file and the line', () => {
      assert.equal(io.failures.length, 1);
      assert.match(
        io.failures[0] ?? '',
        /^POLICY_DENIED: the policy denied the source step: .*sathos:posture.*posture:unpinned-action/,
      );
      const located = `fail posture:unpinned-action: no unpinned-action finding (docs/posture.md) (1 found: ${WORKFLOW}:${UNPINNED_LINE} (build))`;
      assert.ok(
        io.lines.some((l) => l.level === 'error' && l.line === located),
        JSON.stringify(io.lines),
      );
    });

    void it('annotates the finding on its workflow line', () => {
      const annotated = io.lines.find(
        (l) => l.level === 'error' && l.line.startsWith('unpinned-action'),
      );
      assert.ok(annotated !== undefined, JSON.stringify(io.lines));
      assert.match(annotated.line, /tj-actions\/changed-files@v45/);
      assert.deepEqual(annotated.annotation, {
        title: 'Workflow posture denied the source step',
        file: WORKFLOW,
        startLine: UNPINNED_LINE,
      });
    });

    void it('records the denied source step with the denied posture as evidence, and hands on no genesis', () => {
      const statements = statementsOf(fx.chainPath('unpinned'));
      const posture = statements.find((s) => s.predicateType === WORKFLOW_POSTURE_V1);
      const decision = (posture?.predicate as { decision?: { allowed: boolean; failed: string[] } })
        .decision;
      assert.deepEqual(decision?.failed, [
        'posture:unpinned-action',
        'every-third-party-action-pinned',
      ]);
      assert.equal(decision.allowed, false);
      const record = statements.find((s) => (s.predicate as { stage?: string }).stage === 'source');
      assert.equal(
        (record?.predicate as { policy?: { decision: string } }).policy?.decision,
        'deny',
      );
      assert.equal(io.outputs.get('genesis-record'), undefined);
    });

    void it('resolved the tag through the API (what a lock would compare)', () => {
      assert.ok(github.requests.includes('/repos/tj-actions/changed-files/commits/v45'));
    });
  });

  void describe('when a pinned composite action runs a third-party action by branch', () => {
    void it('follows it through the API and denies the source step by the policy rule', async () => {
      const io = await runAt(transitive, 'transitive');
      assert.match(io.failures[0] ?? '', /^POLICY_DENIED: .*every-third-party-action-pinned/);
      assert.ok(
        github.requests.includes(`/repos/octo-tools/lint/contents/action.yml?ref=${LINT_TAINTED}`),
      );
      assert.equal(io.outputs.get('genesis-record'), undefined);
    });
  });

  void describe('when the workflows are hardened', () => {
    let io: RecordedIO;
    let chain: string;
    before(async () => {
      chain = fx.chainPath('hardened');
      // The working tree holds a later commit's unpinned workflow: what is judged is the commit.
      assert.match(readFileSync(join(fx.repo.dir, WORKFLOW), 'utf8'), /steps:\n {6}- run: make/);
      io = await runAt(hardened, 'hardened');
    });

    void it('records the source step with the workflow-posture statement as evidence', () => {
      assert.deepEqual(io.failures, []);
      const posture = statementsOf(chain).find((s) => s.predicateType === WORKFLOW_POSTURE_V1);
      assert.ok(posture !== undefined, 'the chain holds a workflow-posture statement');
      assert.deepEqual(posture.subject, [
        { uri: `git+https://github.com/${REPOSITORY}`, digest: { gitCommit: hardened } },
      ]);
      const predicate = posture.predicate as {
        verifier: string;
        commit: string;
        files: { path: string }[];
        decision: { allowed: boolean; failed: string[] };
        actions: { uses: string; sha: string }[];
      };
      assert.equal(predicate.commit, hardened);
      assert.deepEqual(
        predicate.files.map((f) => f.path),
        [WORKFLOW],
      );
      assert.deepEqual(predicate.decision.failed, []);
      assert.equal(predicate.decision.allowed, true);
      assert.ok(
        predicate.actions.some(
          (a) => a.uses === `octo-tools/lint@${LINT_CLEAN}` && a.sha === LINT_CLEAN,
        ),
      );
    });

    void it('lets the policy read it as evidence.workflowPosture, at the step and again at verification', () => {
      const record = statementsOf(chain).find(
        (s) => (s.predicate as { stage?: string }).stage === 'source',
      );
      const recorded = (record?.predicate as { policy?: { decision: string; reasons: string[] } })
        .policy;
      assert.equal(recorded?.decision, 'allow');
      assert.ok(recorded.reasons.includes('pass source-posture-recorded'));
      const text = readFileSync(chain, 'utf8');
      const checker = createBundleVerifier(publicGoodTrust(), {
        keys: parsePublicKeys(fx.recordKey.publicKeyPem, 'record key'),
        allowUnloggedKeySignatures: true,
      });
      const parsed = parsePolicy(readFileSync(policy, 'utf8'), policy);
      const lines = parseChainText(text, chain);
      const verification = verifyChain({
        lines,
        checker,
        requirements: {
          stages: parsed.stages,
          identities: parsed.identities,
          requireTerminal: false,
        },
        artifacts: [],
        source: chain,
      });
      const evaluation = evaluateChainPolicy(parsed, verification, lines);
      assert.equal(evaluation.allowed, true, JSON.stringify(evaluation.decisions));
    });

    void it('shows the posture in the job summary', () => {
      const summary = io.summaries.find((s) => s.heading.startsWith('Workflow posture'));
      assert.match(summary?.heading ?? '', /^Workflow posture: allowed, 0 finding\(s\)$/);
    });
  });

  void describe('when the commit is denied but the working tree was cleaned up after it', () => {
    void it('still denies: the workflows are read at the commit, not from the checkout', async () => {
      writeFileSync(join(fx.repo.dir, WORKFLOW), HARDENED);
      try {
        const io = await runAt(unpinned, 'tree-cleaned');
        assert.match(io.failures[0] ?? '', /^POLICY_DENIED: .*posture:unpinned-action/);
      } finally {
        fx.repo.git(['checkout', '--', WORKFLOW]);
      }
    });
  });

  void describe('when the GitHub API cannot resolve an action', () => {
    void it('fails closed with one line naming the API, and writes no record', async () => {
      const io = await runAt(unpinned, 'offline', policy, { GITHUB_API_URL: 'http://127.0.0.1:9' });
      assert.match(io.failures[0] ?? '', /^USAGE: .*cannot reach the GitHub API/);
      assert.equal(existsSync(fx.chainPath('offline')), false);
    });
  });

  void describe('when the lock the commit holds names another commit for a tag', () => {
    void it('denies the source step: the tag moved since it was locked', async () => {
      const io = await runAt(moved, 'moved', lockPolicy);
      assert.match(io.failures[0] ?? '', /^POLICY_DENIED: .*sathos:posture-lock/);
      assert.ok(
        io.lines.some(
          (l) =>
            l.level === 'error' &&
            l.line.startsWith('fail sathos:posture-lock') &&
            l.line.includes('tj-actions/changed-files@v45'),
        ),
        JSON.stringify(io.lines),
      );
      assert.equal(io.outputs.get('genesis-record'), undefined);
    });
  });

  void describe('when the lock at the commit is malformed', () => {
    void it('refuses it naming the file, and writes no record', async () => {
      const io = await runAt(badLock, 'bad-lock', lockPolicy);
      assert.match(io.failures[0] ?? '', new RegExp(`${LOCK_FILE}@${badLock}`));
      assert.equal(existsSync(fx.chainPath('bad-lock')), false);
    });
  });

  void describe('when a workflow at the commit is malformed', () => {
    void it('refuses it naming the file and line, and writes no record', async () => {
      const io = await runAt(malformed, 'malformed');
      assert.match(io.failures[0] ?? '', new RegExp(`^WORKFLOW_INVALID: ${WORKFLOW}:\\d+`));
      assert.equal(existsSync(fx.chainPath('malformed')), false);
    });
  });

  void describe('when the policy has no posture: section', () => {
    void it('judges no workflows and records only the commit signatures', async () => {
      const io = await runAt(unpinned, 'no-posture', noPosture);
      assert.deepEqual(io.failures, []);
      const types = statementsOf(fx.chainPath('no-posture')).map((s) => s.predicateType);
      assert.equal(types.includes(WORKFLOW_POSTURE_V1), false);
      assert.equal(
        io.summaries.some((s) => s.heading.startsWith('Workflow posture')),
        false,
      );
    });

    void it('is refused by a verifier whose policy has one: the source step skipped the posture', () => {
      const chain = fx.chainPath('no-posture');
      const lines = parseChainText(readFileSync(chain, 'utf8'), chain);
      const parsed = parsePolicy(readFileSync(policy, 'utf8'), policy);
      const verification = verifyChain({
        lines,
        checker: createBundleVerifier(publicGoodTrust(), {
          keys: parsePublicKeys(fx.recordKey.publicKeyPem, 'record key'),
          allowUnloggedKeySignatures: true,
        }),
        requirements: {
          stages: parsed.stages,
          identities: parsed.identities,
          requireTerminal: false,
        },
        artifacts: [],
        source: chain,
      });
      const evaluation = evaluateChainPolicy(parsed, verification, lines);
      assert.equal(evaluation.allowed, false);
      const failed = evaluation.decisions[0]?.decision.results.find(
        (r) => r.id === 'sathos:posture',
      );
      assert.equal(failed?.error, 'the step recorded no workflow-posture evidence');
    });
  });
});
