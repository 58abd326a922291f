// verify-provenance: reads what the inputs name, asks core to verify it (the chain with its policy,
// or standalone attestations with gh's identity checks), then reports: outputs, a job summary
// drawing the chain of custody, and one ::error annotation per failure. Every error path fails.
import { custodyFlowchart, type ArtifactInput } from '@sathos/core';
import { parseImageReference } from '@sathos/node';
import { actionsIO, readPolicyInput, type ActionIO, type Env, type Fetch } from '@sathos/github';
import { verifyBundlesInput } from './bundles.js';
import { failureLine, verifyChainInput, type Verdict } from './chain.js';
import type { RunInputs } from './inputs.js';
import { readArtifacts, readKeys, readTrust } from './material.js';

export { failureLine } from './chain.js';

/** What run() talks to; tests hand in a recorder and a loopback fetch. */
export interface Runtime {
  readonly env: Env;
  readonly fetch: Fetch;
  readonly io: ActionIO;
}

export function defaultRuntime(): Runtime {
  return { env: process.env, fetch: globalThis.fetch, io: actionsIO() };
}

/** An image is the artifact its digest names; its attestations are its OCI referrers. */
function imageArtifacts(images: readonly string[]): ArtifactInput[] {
  return images.map((image) => {
    const { digest } = parseImageReference(image);
    return { name: image, digests: [{ algorithm: 'sha256', hex: digest.slice('sha256:'.length) }] };
  });
}

async function verify(inputs: RunInputs, runtime: Runtime): Promise<Verdict> {
  const evidence = inputs.evidence;
  const [artifacts, trust, keys] = await Promise.all([
    evidence.kind === 'oci'
      ? imageArtifacts(evidence.images)
      : readArtifacts(inputs.artifacts, inputs.digests),
    readTrust(inputs.trustedRoot),
    readKeys(inputs.verifyKeys),
  ]);
  const apiUrl = runtime.env.GITHUB_API_URL ?? 'https://api.github.com';
  if (evidence.kind !== 'chain') {
    const source =
      evidence.kind === 'bundles'
        ? { kind: 'files' as const, path: evidence.path }
        : evidence.kind === 'oci'
          ? { kind: 'oci' as const, fetch: runtime.fetch }
          : {
              kind: 'github' as const,
              repository: evidence.repository,
              api: { apiUrl, fetch: runtime.fetch },
              ...(inputs.githubToken === undefined ? {} : { token: inputs.githubToken }),
            };
    return verifyBundlesInput({ source, artifacts, trust, keys, signer: inputs.signer });
  }
  const policy =
    inputs.policy === undefined
      ? undefined
      : await readPolicyInput(inputs.policy, {
          apiUrl,
          token: inputs.githubToken,
          fetch: runtime.fetch,
        });
  return verifyChainInput({
    chainPath: evidence.path,
    artifacts,
    trust,
    keys,
    signer: inputs.signer,
    policy,
    environment: inputs.environment,
  });
}

async function report(verdict: Verdict, io: ActionIO): Promise<void> {
  await io.summary({
    heading: verdict.verified ? 'Provenance verified' : 'Provenance rejected',
    lines: [verdict.reason, `trusted root: ${verdict.roots.join('; ') || 'none used'}`],
    ...(verdict.nodes.length > 0 && { mermaid: custodyFlowchart(verdict.nodes) }),
  });
  io.setOutput('verified', String(verdict.verified));
  io.setOutput('reason', verdict.reason);
  io.setOutput('records', String(verdict.nodes.filter((n) => n.verdict === 'verified').length));
  for (const failure of verdict.failures) io.error(failure, { title: 'Provenance rejected' });
  if (verdict.verified) io.info(verdict.reason);
  else io.setFailed(verdict.reason);
}

export async function run(inputs: RunInputs, runtime: Runtime = defaultRuntime()): Promise<void> {
  const { io } = runtime;
  try {
    await report(await verify(inputs, runtime), io);
  } catch (error) {
    io.setOutput('verified', 'false');
    io.setOutput('reason', failureLine(error));
    io.setFailed(failureLine(error));
  }
}
