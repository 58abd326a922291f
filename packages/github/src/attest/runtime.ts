// What an attest action talks to on a real runner: the process's environment and fetch, the
// runner's log and files, and the node edge (subjects hashed from the workspace, the chain file,
// OCI referrers).
import { JsonlFileStore, collectSubjects, pushAttestation, type HashProgress } from '@sathos/node';
import { actionsIO, type ActionIO } from '../io.js';
import type { AttestRuntime } from './run.js';

const MIB = 1024 * 1024;
/** A job log is read later: one plain line every few seconds, never a redrawn bar. */
export const PROGRESS_INTERVAL_MS = 5000;

/** Logs hashing progress at most every `intervalMs`. */
export function hashingProgress(
  io: Pick<ActionIO, 'info'>,
  now: () => number = Date.now,
  intervalMs = PROGRESS_INTERVAL_MS,
): (progress: HashProgress) => void {
  let last = now();
  return (p) => {
    if (now() - last < intervalMs) return;
    last = now();
    io.info(
      `hashing: ${p.files}/${p.totalFiles} files, ${(p.bytes / MIB).toFixed(1)} of ${(p.totalBytes / MIB).toFixed(1)} MiB`,
    );
  };
}

/** The runner's edge; the action adds the supervisor and its isolation probe (@sathos/guard). */
export function defaultAttestRuntime(): Omit<AttestRuntime, 'commandIsolation'> {
  const io = actionsIO();
  return {
    env: process.env,
    fetch: globalThis.fetch,
    io,
    collectSubjects: (sources, workspace) =>
      collectSubjects(sources, { workspace, onProgress: hashingProgress(io) }),
    openChain: (path) => new JsonlFileStore(path),
    pushToRegistry: (image, bundle, credentials) =>
      pushAttestation({ image, bundle, ...(credentials === undefined ? {} : { credentials }) }),
  };
}
