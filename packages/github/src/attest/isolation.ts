// The rule every action with a `run:` input follows (attest-build, attest-step, gate-deploy): the
// command is not started unless it cannot see the action's process. That process's initial
// environment (/proc/<pid>/environ) holds the action's inputs — a signing key from a secret, a
// GitHub token — and the runner's ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN; withholding them from the
// command's own environment does not hide its parent's. The probe (@sathos/guard's
// supervisorIsolation, injected so this package stays off the supervisor) says why it could.
import { SathosError } from '@sathos/core';

/** Why the `run:` command could read the action's process, or undefined when it cannot. */
export type CommandIsolation = () => Promise<string | undefined>;

/** What gives the supervisor a sandbox that keeps the command out of the action's process. */
export const ISOLATION_FIX =
  'allow unprivileged user namespaces, or give the runner user passwordless sudo (GitHub-hosted runners have it), or run as root with iptables';

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
    `refused before running anything: the run: command could read ${secrets} from this action's process (/proc/<pid>/environ), as ${exposed}; ${ISOLATION_FIX} (docs/anomaly.md)`,
  );
}
