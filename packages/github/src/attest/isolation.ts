// The rule every action with a `run:` input follows (attest-build, attest-step, gate-deploy): the
// command is not started unless it cannot see the action's process. That process's initial
// environment (/proc/<pid>/environ) holds the action's inputs — a signing key from a secret, a
// GitHub token — and the runner's ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN; withholding them from the
// command's own environment does not hide its parent's. The probe (@sathos/guard's
// supervisorIsolation, injected so this package stays off the supervisor) says why it could.
import { SathosError } from '@sathos/core';

/** Why the `run:` command could read the action's process, or undefined when it cannot. */
export type CommandIsolation = () => Promise<string | undefined>;

/** What lifts the restriction where it usually bites: GitHub-hosted Ubuntu 24.04 runners. */
export const LIFT_USERNS_RESTRICTION =
  'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0';

/**
 * Refuses (before anything runs, nothing signed or appended) when the command could read
 * `secrets` — the action's own credentials, named for the one-line error — from its process.
 */
export async function assertCommandIsolated(
  isolation: CommandIsolation,
  secrets: string,
): Promise<void> {
  const exposed = await isolation();
  if (exposed === undefined) return;
  throw new SathosError(
    'USAGE',
    `refused before running anything: the run: command could read ${secrets} from this action's process (/proc/<pid>/environ), as ${exposed}; allow unprivileged user namespaces — on a GitHub-hosted runner add a step \`${LIFT_USERNS_RESTRICTION}\` before this one (docs/anomaly.md) — or run as root`,
  );
}
