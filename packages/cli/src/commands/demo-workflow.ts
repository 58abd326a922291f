// `sathos demo --out DIR` in a SATHOS checkout: runs the reusable pipeline through the local workflow runner (an honest
// run, then one with the artifact swapped before the gate), writes DIR/demo.json (docs/cli.md),
// then verifies the honest chain offline with exactly the arguments demo.json hands the user.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '@sathos/github/workflow-runner';
import { WORKFLOW_ENVIRONMENT, runWorkflowDemo } from '../demo/workflow-pipeline.js';
import type { Outcome } from '../outcome.js';
import { failure, success } from '../outcome.js';
import { verifyChainCommand } from './verify-chain.js';

const DEPLOY_JOB = 'release/deploy/deploy';

/** Which jobs asked for which token audience, one line each. */
function tokenLines(run: RunResult): string[] {
  return run.tokenRequests.map((t) => `  ${t.job} asked for a token for ${t.audience}`);
}

export async function workflowDemoCommand(options: {
  out: string;
  checkout: string;
}): Promise<Outcome> {
  const lines: string[] = [];
  try {
    const started = Date.now();
    const files = await runWorkflowDemo(options.out, options.checkout, (line) => lines.push(line));
    const artifactArgs = files.artifacts.flatMap((a) => ['--artifact', a]);
    const rootArgs = ['--trusted-root', files.trustedRoot];
    const verify = [
      'verify-chain',
      files.chain,
      ...artifactArgs,
      '--policy',
      files.policy,
      ...rootArgs,
    ];
    // The gate on the chain the scan job handed the deploy job, signing with the demo's gate key.
    const gate = [
      'gate',
      '--chain',
      files.gateInput,
      ...artifactArgs,
      '--policy',
      files.policy,
      '--environment',
      WORKFLOW_ENVIRONMENT,
      ...rootArgs,
      '--key',
      files.gateKey,
    ];
    const demoJson = {
      chain: files.chain,
      artifacts: files.artifacts,
      policy: files.policy,
      trustedRoot: files.trustedRoot,
      verify,
      gate,
    };
    await writeFile(join(files.out, 'demo.json'), `${JSON.stringify(demoJson, null, 2)}\n`);

    const verified = await verifyChainCommand({
      chain: files.chain,
      artifact: files.artifacts,
      policy: files.policy,
      trustedRoot: files.trustedRoot,
    });
    if (verified.exitCode !== 0) return { ...verified, lines: [...lines, ...verified.lines] };
    const refused = files.attack.jobs[DEPLOY_JOB]?.errors[0] ?? 'the deploy job failed';
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const reason = `demo chain written to ${files.chain} and verified`;
    const details = {
      ...demoJson,
      verification: verified.json,
      tokenRequests: files.honest.tokenRequests,
      attack: { refusedAt: DEPLOY_JOB, reason: refused, tokenRequests: files.attack.tokenRequests },
    };
    return success('verified', reason, details, [
      'SATHOS demo: the reusable pipeline (.github/workflows/sathos-pipeline.yml) run locally, keyless,',
      'each job signing as its own stage workflow (Sigstore and GitHub stand-ins on loopback)',
      ...lines,
      '',
      'chain of custody (verified offline with the trusted root the demo wrote):',
      ...verified.lines.slice(1),
      '',
      'tokens the honest run asked for:',
      ...tokenLines(files.honest),
      '',
      'attack: the built artifact swapped between the scan and the deploy job',
      `  refused at the gate: ${refused}`,
      ...tokenLines(files.attack),
      `  no token for sathos-deploy:${WORKFLOW_ENVIRONMENT} was requested`,
      '',
      `verified: ${String(verified.json.reason)} (demo took ${seconds} s)`,
      `verify it yourself: npx sathos ${verify.join(' ')}`,
      `demo description: ${join(files.out, 'demo.json')}`,
    ]);
  } catch (error) {
    return failure('verified', error);
  }
}
