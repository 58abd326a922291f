// Whether the deploy command can be kept out of the gate's own process. The gate's process holds
// what the runner started it with — the signing key input, the GitHub token input, the runner's
// OIDC token-request URL and bearer token — in its initial environment, which /proc/<pid>/environ
// shows to any process of the same user. Scrubbing the command's environment does not help if the
// command can read its parent's: only a pid namespace with its own /proc (the supervisor's netns
// sandbox) hides the gate's process. Without one the command could mint a token for any audience
// and sign decisions as the gate, so the gate refuses to run it (before any token is requested).
import { chooseSandbox } from '@sathos/guard';

/** Why the supervisor cannot hide the gate's process from the deploy command, or undefined. */
export async function supervisorIsolation(): Promise<string | undefined> {
  const choice = await chooseSandbox('auto');
  if (choice.kind === 'netns') return undefined;
  return `the anomaly supervisor can only give it the ${choice.kind} sandbox here (${choice.note}), without its own pid namespace`;
}
