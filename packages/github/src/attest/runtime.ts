// What an attest action talks to on a real runner: the process's environment and fetch, the
// runner's log and files, and the node edge (subjects hashed from the workspace, the chain file,
// OCI referrers).
import { JsonlFileStore, collectSubjects, pushAttestation } from '@sathos/node';
import { actionsIO } from '../io.js';
import type { AttestRuntime } from './run.js';

export function defaultAttestRuntime(): AttestRuntime {
  return {
    env: process.env,
    fetch: globalThis.fetch,
    io: actionsIO(),
    collectSubjects: (sources, workspace) => collectSubjects(sources, { workspace }),
    openChain: (path) => new JsonlFileStore(path),
    pushToRegistry: (image, bundle, credentials) =>
      pushAttestation({ image, bundle, ...(credentials === undefined ? {} : { credentials }) }),
  };
}
