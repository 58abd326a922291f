// The gate's runtime on a real runner: the environment, the network, the chain file, the artifact
// hashing and the supervised deploy command. Loaded by index.ts only once the inputs are usable.
import { collectSubjects, JsonlFileStore } from '@sathos/node';
import { actionsIO, commandsStopped } from '@sathos/github';
import { superviseScript, supervisorIsolation } from '@sathos/guard';
import type { ArtifactInput } from '@sathos/core';
import type { GateRuntime } from './main.js';

export function runtime(): GateRuntime {
  return {
    env: process.env,
    fetch: globalThis.fetch,
    io: actionsIO(),
    openChain: (path) => new JsonlFileStore(path),
    hashArtifacts: async (paths, workspace): Promise<ArtifactInput[]> => {
      const subjects = await collectSubjects({ paths, digests: [], images: [] }, { workspace });
      return subjects.map((s) => ({
        name: s.name,
        digests:
          s.digest.sha256 === undefined ? [] : [{ algorithm: 'sha256', hex: s.digest.sha256 }],
      }));
    },
    // The deploy command runs under the anomaly supervisor, judged by the policy's anomaly section.
    // Its output cannot issue workflow commands as this action (set its outputs, silence it).
    runDeploy: commandsStopped(superviseScript),
    deployIsolation: supervisorIsolation,
    mask: (secret) => process.stdout.write(`::add-mask::${secret}\n`),
    now: () => new Date(),
  };
}
