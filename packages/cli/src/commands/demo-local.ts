// `sathos demo` outside a SATHOS checkout (an installed CLI has no workflows or action bundles to
// run): the pipeline in process, key-signed, writes DIR/demo.json (docs/cli.md), then verifies the
// chain with exactly the arguments demo.json hands the user.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runDemoPipeline, DEMO_ENVIRONMENT } from '../demo/pipeline.js';
import type { Outcome } from '../outcome.js';
import { failure, success } from '../outcome.js';
import { verifyChainCommand } from './verify-chain.js';

export async function localDemoCommand(options: { out: string }): Promise<Outcome> {
  const lines: string[] = [];
  try {
    const files = await runDemoPipeline(options.out, (line) => lines.push(line));
    const artifactArgs = files.artifacts.flatMap((a) => ['--artifact', a]);
    const keyArgs = ['--key', files.publicKey, '--key', files.gatePublicKey];
    const verify = [
      'verify-chain',
      files.chain,
      ...artifactArgs,
      '--policy',
      files.policy,
      ...keyArgs,
    ];
    // The gate as the demo ran it, on the chain as it was handed to the gate (source to scan).
    const gate = [
      'gate',
      '--chain',
      files.gateInput,
      ...artifactArgs,
      '--policy',
      files.policy,
      '--environment',
      DEMO_ENVIRONMENT,
      '--key',
      files.gateKey,
      '--verify-key',
      files.publicKey,
    ];
    const demoJson = {
      chain: files.chain,
      artifacts: files.artifacts,
      policy: files.policy,
      verify,
      gate,
    };
    await writeFile(join(files.out, 'demo.json'), `${JSON.stringify(demoJson, null, 2)}\n`);

    const verified = await verifyChainCommand({
      chain: files.chain,
      artifact: files.artifacts,
      policy: files.policy,
      key: [files.publicKey, files.gatePublicKey],
    });
    if (verified.exitCode !== 0) return { ...verified, lines: [...lines, ...verified.lines] };
    const reason = `demo chain written to ${files.chain} and verified`;
    return success('verified', reason, { ...demoJson, verification: verified.json }, [
      'SATHOS demo: one chain of custody from signed commit to deploy (in process, key-signed: no SATHOS checkout holds this CLI, so there is no reusable workflow to run)',
      ...lines,
      '',
      'chain of custody (verified):',
      ...verified.lines.slice(1),
      '',
      `verified: ${String(verified.json.reason)}`,
      `verify it yourself: npx sathos ${verify.join(' ')}`,
      `demo description: ${join(files.out, 'demo.json')}`,
    ]);
  } catch (error) {
    return failure('verified', error);
  }
}
