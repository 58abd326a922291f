// gate-deploy with its default signing, keyless, after real keyless source, build, test and scan
// steps (the attest actions against the Sigstore and GitHub stand-ins): the decision and deploy
// records verify with plain sigstore-js under the workflow's identity; the runner's token endpoint
// is asked for a `sigstore` token to sign and, only after the allow, one `sathos-deploy:<env>`
// token — on a deny it is asked for the signing token alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from '@sathos/core';
import { readAttestInputs, runCommand } from '@sathos/github';
import { verifyWithSigstoreJs } from '@sathos/testkit';
import { JsonlFileStore, collectSubjects } from '@sathos/node';
import { run as runBuild } from '../../../actions/attest-build/src/main.js';
import { run as runStep } from '../../../actions/attest-step/src/main.js';
import { readGateInputs } from '../../../actions/gate-deploy/src/inputs.js';
import { runGate, type GateRuntime } from '../../../actions/gate-deploy/src/main.js';
import { AttestFixture, ISSUER, SAN, chainBundles, statementOf } from '../attest-build/fixture.js';

const STAGES = ['source', 'build', 'test', 'scan', 'decision', 'deploy'];
const policyText = `apiVersion: sathos.dev/v1
kind: Policy
stages: [${STAGES.join(', ')}]
identities:
${STAGES.map((s) => `  ${s}: [{ issuer: "${ISSUER}", subject: "${SAN}" }]`).join('\n')}
environments:
  staging:
    requiredStages: [source, build, test, scan, decision]
`;

void describe('gate-deploy, keyless', () => {
  let fx: AttestFixture;
  let policy: string;
  before(async () => {
    fx = await AttestFixture.start();
    policy = join(fx.work, 'policy.yaml');
    writeFileSync(policy, policyText);
  });
  after(async () => {
    await fx.dispose();
  });

  /** source → build → test → scan, each keyless, each decided under the policy. */
  async function pipeline(name: string): Promise<void> {
    await fx.startChain(name, 'public', parsePolicy(policyText, policy));
    for (const stage of ['build', 'test', 'scan']) {
      const env = { ...fx.env('public'), ...fx.inputs(name, 'public', { INPUT_POLICY: policy }) };
      const runtime = fx.runtime(env);
      if (stage === 'build') await runBuild(readAttestInputs(env, { stage }), runtime);
      else await runStep(readAttestInputs({ ...env, INPUT_STAGE: stage }), runtime);
      assert.deepEqual(runtime.io.failures, [], stage);
    }
  }

  async function gate(name: string, environment: string) {
    const marker = join(fx.work, `${name}-deployed`);
    const env = {
      ...fx.env('public'),
      ...fx.inputs(name, 'public', {
        INPUT_POLICY: policy,
        INPUT_ENVIRONMENT: environment,
        'INPUT_ARTIFACT-PATH': 'dist/a/app.tar',
        INPUT_RUN: `echo deployed > "${marker}"`,
      }),
    };
    const io = fx.runtime(env).io;
    const runtime: GateRuntime = {
      env,
      fetch: globalThis.fetch,
      io,
      openChain: (p) => new JsonlFileStore(p),
      hashArtifacts: async (paths, workspace) =>
        (await collectSubjects({ paths, digests: [], images: [] }, { workspace })).map((s) => ({
          name: s.name,
          digests: [{ algorithm: 'sha256' as const, hex: s.digest.sha256 ?? '' }],
        })),
      runDeploy: runCommand,
      deployIsolation: () => Promise.resolve(undefined),
      mask: () => undefined,
      now: () => new Date(),
    };
    const before = fx.github.requests.length;
    await runGate(readGateInputs(env), runtime);
    const audiences = fx.github.requests
      .slice(before)
      .filter((r) => r.startsWith('/oidc/token'))
      .map((r) => new URL(r, 'http://x').searchParams.get('audience'));
    return { io, audiences, deployed: existsSync(marker) };
  }

  void it('decides and deploys, signed by the workflow identity; the deploy token comes last', async () => {
    await pipeline('allowed');
    const { io, audiences, deployed } = await gate('allowed', 'staging');
    assert.deepEqual(io.failures, []);
    assert.equal(io.outputs.get('decision'), 'allow');
    assert.equal(deployed, true);
    assert.equal(audiences.at(-1), 'sathos-deploy:staging');
    assert.equal(audiences.filter((a) => a === 'sathos-deploy:staging').length, 1);
    assert.ok(
      audiences.slice(0, -1).every((a) => a === 'sigstore'),
      audiences.join(', '),
    );
    const bundles = chainBundles(fx.chainPath('allowed'));
    const stages = bundles.map((b) => (statementOf(b).predicate as { stage?: string }).stage);
    assert.deepEqual(stages.slice(-3), [undefined, 'decision', 'deploy']);
    for (const bundle of bundles.slice(-3))
      verifyWithSigstoreJs(bundle, {
        trustedRoot: fx.sigstore.trustedRoot,
        subjectAlternativeName: SAN,
        issuer: ISSUER,
      });
  });

  void it('on a deny asks only for the signing token, never the deploy token', async () => {
    await pipeline('denied');
    const { io, audiences, deployed } = await gate('denied', 'moon');
    assert.equal(io.failures.length, 1);
    assert.equal(io.outputs.get('decision'), 'deny');
    assert.equal(deployed, false);
    assert.ok(audiences.length > 0 && audiences.every((a) => a === 'sigstore'), audiences.join());
    const last = statementOf(chainBundles(fx.chainPath('denied')).at(-1)).predicate as {
      stage: string;
      policy: { decision: string; reasons: string[] };
    };
    assert.equal(last.stage, 'decision');
    assert.equal(last.policy.decision, 'deny', 'the denial is recorded');
    assert.ok(last.policy.reasons.some((r) => r.includes('sathos:environment')));
  });
});
