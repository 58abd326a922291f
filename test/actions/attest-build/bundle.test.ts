// The committed bundles (dist/index.js, what the runner executes) run as the runner runs them: a
// node process with INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, the token
// endpoint and attestations API of the GitHub stand-in, the Sigstore stand-ins.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifyWithSigstoreJs } from '@sathos/testkit';
import { AttestFixture, ISSUER, SAN, chainBundles, statementOf } from './fixture.js';

const bundlePath = (action: string): string =>
  fileURLToPath(new URL(`../../../actions/${action}/dist/index.js`, import.meta.url));

interface Finished {
  readonly code: number;
  readonly stdout: string;
}

function runBundle(action: string, env: Record<string, string>): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bundlePath(action)], { env, timeout: 120_000 }, (error, stdout) => {
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
        stdout,
      });
    });
  });
}

void describe('the bundled attest actions', () => {
  let fx: AttestFixture;
  before(async () => {
    fx = await AttestFixture.start();
  });
  after(async () => {
    await fx.dispose();
  });

  const runnerFiles = (name: string) => {
    const output = join(fx.work, `${name}-output`);
    const summary = join(fx.work, `${name}-summary`);
    writeFileSync(output, '');
    writeFileSync(summary, '');
    return { output, summary, env: { GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary } };
  };

  void it('attest-build then attest-step: keyless records that verify, uploaded through two 502s', async () => {
    await fx.startChain('bundled');
    const build = runnerFiles('build');
    fx.github.failNext({ status: 502 }, { status: 502 });
    const built = await runBundle('attest-build', {
      ...fx.env('public'),
      ...fx.inputs('bundled', 'public'),
      ...build.env,
    });
    assert.equal(built.code, 0, built.stdout);
    const outputs = readFileSync(build.output, 'utf8');
    assert.match(outputs, /record-digest<<.*\nsha256:[0-9a-f]{64}\n/);
    assert.match(
      outputs,
      /attestation-url<<.*\nhttps:\/\/github\.com\/octo-org\/octo-repo\/attestations\/\d+\n/,
    );
    assert.match(
      readFileSync(build.summary, 'utf8'),
      /<table>.*dist\/a\/app\.tar.*dist\/b\/app\.tar/s,
    );

    const test = runnerFiles('test');
    const junit = join(fx.work, 'junit.xml');
    writeFileSync(junit, '<testsuite name="s"><testcase name="ok"/></testsuite>');
    const tested = await runBundle('attest-step', {
      ...fx.env('public'),
      ...fx.inputs('bundled', 'public', {
        INPUT_STAGE: 'test',
        INPUT_JUNIT: junit,
        INPUT_RUN: 'echo tests ran > ran.txt',
      }),
      ...test.env,
    });
    assert.equal(tested.code, 0, tested.stdout);
    const bundles = chainBundles(fx.chainPath('bundled'));
    assert.equal(bundles.length, 5);
    // The run: command ran under the supervisor, and the record says how it went.
    const observations = (
      statementOf(bundles[4]).predicate as { observations: Record<string, unknown> }
    ).observations;
    assert.equal((observations.command as { exitStatus: number }).exitStatus, 0);
    assert.ok('anomaly' in observations, JSON.stringify(observations));
    for (const bundle of bundles) {
      verifyWithSigstoreJs(bundle, {
        trustedRoot: fx.sigstore.trustedRoot,
        subjectAlternativeName: SAN,
        issuer: ISSUER,
      });
    }
  });

  void it('with no inputs, exits 1 with one ::error:: naming the missing input', async () => {
    const files = runnerFiles('bare');
    const bare = { ...fx.env('public'), ...files.env };
    const build = await runBundle('attest-build', bare);
    assert.equal(build.code, 1);
    assert.equal(
      build.stdout.trim(),
      '::error::USAGE: no subject: give input "subject-path", "subject-checksums", "subject-digest" (the artifacts this step attests)',
    );
    const step = await runBundle('attest-step', bare);
    assert.equal(step.code, 1);
    assert.equal(
      step.stdout.trim(),
      '::error::USAGE: input "stage" is required; set it in the step\'s with:',
    );
  });
});
