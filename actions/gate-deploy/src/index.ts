// The action's entry point: read the inputs once, then run on the runner. An input that cannot be
// read fails the step with the one line that says which; nothing is verified or requested.
import { collectSubjects, JsonlFileStore } from '@sathos/node';
import { actionsIO, attestFailureLine } from '@sathos/github';
import { superviseScript, supervisorIsolation } from '@sathos/guard';
import type { ArtifactInput } from '@sathos/core';
import { readGateInputs, type GateInputs } from './inputs.js';
import { runGate, type GateRuntime } from './main.js';

function runtime(): GateRuntime {
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
    runDeploy: superviseScript,
    deployIsolation: supervisorIsolation,
    mask: (secret) => process.stdout.write(`::add-mask::${secret}\n`),
    now: () => new Date(),
  };
}

let inputs: GateInputs | undefined;
try {
  inputs = readGateInputs(process.env);
} catch (error) {
  actionsIO().setFailed(attestFailureLine(error));
}
if (inputs !== undefined) await runGate(inputs, runtime());
