// Whether a `run:` command can be kept out of the action's own process. The action's process holds
// what the runner started it with — its inputs (a signing key from a secret, a GitHub token) and the
// runner's OIDC token-request URL and bearer token — in its initial environment, which
// /proc/<pid>/environ shows to any process of the same user. Scrubbing the command's environment
// does not help if the command can read its parent's: a pid namespace with its own /proc (the
// supervisor's netns sandbox, unprivileged or through sudo) hides the action's process, and the
// iptables level runs the command as a uid of its own, which may neither read that file (the same
// uid is needed) nor signal or trace the process. Under proxy variables alone the command could
// mint a token for any audience and sign as the action, so the actions refuse to run it.
import { chooseSandbox, type SandboxRequest } from './sandbox.js';

/**
 * Why the supervisor cannot hide the action's process from the `run:` command, or undefined when
 * it can. `request` is the sandbox the supervisor will be asked for (tests force a fallback rung).
 */
export async function supervisorIsolation(
  request: SandboxRequest = 'auto',
): Promise<string | undefined> {
  const choice = await chooseSandbox(request);
  if (choice.kind === 'netns' || choice.kind === 'iptables') return undefined;
  return `the anomaly supervisor can only give it the ${choice.kind} sandbox here (${choice.note}), without its own pid namespace or uid`;
}
