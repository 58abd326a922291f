// attest-step run in-process after a real source and build step: JUnit and SARIF evidence in the
// in-toto formats, the run: command's status recorded, and every refusal (a tampered chain, a
// malformed report, a failing command, no stage) leaving the chain byte for byte as it was.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePolicy } from '@sathos/core';
import { readAttestInputs } from '@sathos/github';
import { verifyWithSigstoreJs } from '@sathos/testkit';
import { run as runBuild } from '../../../actions/attest-build/src/main.js';
import { run } from '../../../actions/attest-step/src/main.js';
import { AttestFixture, ISSUER, SAN, chainBundles, statementOf } from '../attest-build/fixture.js';

const JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="app" tests="2">
  <testcase classname="app" name="adds"/>
  <testcase classname="app" name="subtracts"/>
</testsuite></testsuites>
`;

const SARIF = JSON.stringify({
  version: '2.1.0',
  runs: [
    {
      tool: {
        driver: { name: 'scanner', informationUri: 'https://scanner.example', version: '1.0' },
      },
      invocations: [{ startTimeUtc: '2026-01-01T00:00:00Z', endTimeUtc: '2026-01-01T00:01:00Z' }],
      results: [{ ruleId: 'CVE-2026-0001', level: 'warning', message: { text: 'old lib' } }],
    },
  ],
});

void describe('attest-step', () => {
  let fx: AttestFixture;
  let junit: string;
  let sarif: string;
  before(async () => {
    fx = await AttestFixture.start();
    junit = join(fx.work, 'junit.xml');
    writeFileSync(junit, JUNIT);
    sarif = join(fx.work, 'scan.sarif');
    writeFileSync(sarif, SARIF);
  });
  after(async () => {
    await fx.dispose();
  });

  /** A chain holding the source and build records, as the build job hands it on. */
  const built = async (name: string, policy?: string): Promise<void> => {
    await fx.startChain(
      name,
      'public',
      policy === undefined ? undefined : parsePolicy(readFileSync(policy, 'utf8'), policy),
    );
    const extra = policy === undefined ? {} : { INPUT_POLICY: policy };
    const env = { ...fx.env('public'), ...fx.inputs(name, 'public', extra) };
    const runtime = fx.runtime(env);
    await runBuild(readAttestInputs(env, { stage: 'build' }), runtime);
    assert.deepEqual(runtime.io.failures, []);
  };

  const step = async (name: string, extra: Record<string, string>) => {
    const env = { ...fx.env('public'), ...fx.inputs(name, 'public', extra) };
    const runtime = fx.runtime(env);
    await run(readAttestInputs(env), runtime);
    return runtime.io;
  };

  void it('records a test step with its JUnit evidence and a scan step with its SARIF evidence', async () => {
    await built('pipeline');
    const test = await step('pipeline', { INPUT_STAGE: 'test', INPUT_JUNIT: junit });
    assert.deepEqual(test.failures, []);
    const scan = await step('pipeline', { INPUT_STAGE: 'scan', INPUT_SARIF: sarif });
    assert.deepEqual(scan.failures, []);
    const bundles = chainBundles(fx.chainPath('pipeline'));
    const statements = bundles.map(statementOf);
    assert.deepEqual(
      statements.map((s) => s.predicateType),
      [
        'https://sathos.dev/attestation/transition/v1',
        'https://slsa.dev/provenance/v1',
        'https://sathos.dev/attestation/transition/v1',
        'https://in-toto.io/attestation/test-result/v0.1',
        'https://sathos.dev/attestation/transition/v1',
        'https://in-toto.io/attestation/vulns/v0.2',
        'https://sathos.dev/attestation/transition/v1',
      ],
    );
    for (const bundle of bundles) {
      verifyWithSigstoreJs(bundle, {
        trustedRoot: fx.sigstore.trustedRoot,
        subjectAlternativeName: SAN,
        issuer: ISSUER,
      });
    }
    const testResult = statements[3]?.predicate as { result: string; passedTests: string[] };
    assert.equal(testResult.result, 'PASSED');
    assert.equal(testResult.passedTests.length, 2);
    const vulns = statements[5]?.predicate as { scanner: { result: { id: string }[] } };
    assert.deepEqual(
      vulns.scanner.result.map((r) => r.id),
      ['CVE-2026-0001'],
    );
    assert.deepEqual(
      scan.summaries[1]?.table?.rows.map((r) => r[1]),
      ['source', 'build', 'test', 'scan'],
    );
  });

  void it('records an sbom step with the SBOM under its own predicate type, as actions/attest does', async () => {
    await built('sbom');
    const spdx = fileURLToPath(
      new URL('../../fixtures/reports/npm-sbom-core.spdx.json', import.meta.url),
    );
    const io = await step('sbom', {
      INPUT_STAGE: 'sbom',
      'INPUT_SBOM-PATH': spdx,
      INPUT_POLICY: '',
    });
    // A custom stage needs a policy that declares it: without one the step is refused.
    assert.match(io.failures[0] ?? '', /stage "sbom" is not a built-in stage/);
    const scan = await step('sbom', { INPUT_STAGE: 'scan', 'INPUT_SBOM-PATH': spdx });
    assert.deepEqual(scan.failures, []);
    const evidence = statementOf(chainBundles(fx.chainPath('sbom')).at(-2));
    assert.equal(evidence.predicateType, 'https://spdx.dev/Document/v2.3');
    assert.deepEqual(evidence.predicate, JSON.parse(readFileSync(spdx, 'utf8')));
  });

  void it('runs the step command without the signing secrets, and records its exit status', async () => {
    await built('command');
    const io = await step('command', {
      INPUT_STAGE: 'test',
      INPUT_RUN: 'echo testing > ran.txt; env > env.txt',
      GITHUB_OUTPUT: join(fx.work, 'output'),
    });
    assert.deepEqual(io.failures, []);
    assert.equal(readFileSync(join(fx.workspace, 'ran.txt'), 'utf8'), 'testing\n');
    const seen = readFileSync(join(fx.workspace, 'env.txt'), 'utf8');
    assert.match(seen, /^GITHUB_REPOSITORY=/m);
    for (const secret of ['INPUT_', 'ACTIONS_ID_TOKEN_REQUEST_', 'GITHUB_OUTPUT=']) {
      assert.equal(seen.includes(secret), false, `the command saw ${secret}`);
    }
    const record = statementOf(chainBundles(fx.chainPath('command')).at(-1));
    const observations = (
      record.predicate as { observations: { command: Record<string, unknown> } }
    ).observations;
    assert.equal(observations.command.exitStatus, 0);
    assert.equal(typeof observations.command.durationMs, 'number');
  });

  void describe('refusals leave the chain byte for byte as it was', () => {
    const refused = async (name: string, extra: Record<string, string>, expected: RegExp) => {
      await built(name);
      const before = fx.chainBytes(name);
      const io = await step(name, extra);
      assert.equal(io.failures.length, 1);
      assert.match(io.failures[0] ?? '', expected);
      assert.deepEqual(fx.chainBytes(name), before);
    };

    void it('a failing command fails the step, and nothing is signed', async () => {
      await refused(
        'failing',
        { INPUT_STAGE: 'test', INPUT_RUN: 'false; echo not reached' },
        /COMMAND_FAILED: the "run" command exited 1/,
      );
    });

    void it('a command that empties the chain file gets no genesis of its own', async () => {
      await built('emptied');
      const io = await step('emptied', {
        INPUT_STAGE: 'test',
        INPUT_RUN: `: > '${fx.chainPath('emptied')}'`,
      });
      assert.match(io.failures[0] ?? '', /the chain is empty/);
      assert.equal(fx.chainBytes('emptied').length, 0);
    });

    void it('a report path is read relative to the workspace, and named as given', async () => {
      writeFileSync(join(fx.workspace, 'outside-cwd.xml'), JUNIT.slice(0, 80));
      await refused(
        'relative-junit',
        { INPUT_STAGE: 'test', INPUT_JUNIT: 'outside-cwd.xml' },
        /^REPORT_INVALID: .*outside-cwd\.xml/,
      );
    });

    void it('a malformed JUnit report is an error naming the file', async () => {
      const bad = join(fx.work, 'truncated.xml');
      writeFileSync(bad, JUNIT.slice(0, 80));
      await refused('bad-junit', { INPUT_STAGE: 'test', INPUT_JUNIT: bad }, /truncated\.xml/);
    });

    void it('a chain tampered with between jobs is refused', async () => {
      await built('tampered');
      const path = fx.chainPath('tampered');
      const lines = readFileSync(path, 'utf8').trim().split('\n');
      // Swap the build record's provenance for a copy with another subject digest, re-encoded.
      const provenance = JSON.parse(lines[1] ?? '') as { dsseEnvelope: { payload: string } };
      const statement = statementOf(provenance);
      statement.subject[0] = { name: 'dist/a/app.tar', digest: { sha256: 'f'.repeat(64) } };
      provenance.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
      lines[1] = JSON.stringify(provenance);
      writeFileSync(path, `${lines.join('\n')}\n`);
      const before = readFileSync(path);
      const io = await step('tampered', { INPUT_STAGE: 'test', INPUT_JUNIT: junit });
      assert.equal(io.failures.length, 1);
      assert.match(io.failures[0] ?? '', /TLOG_INVALID: .*chain\.jsonl line 2: /);
      assert.deepEqual(readFileSync(path), before);
    });
  });

  void it('a failing JUnit run is denied under a policy that says tests must pass, and the denial recorded', async () => {
    const policy = join(fx.work, 'policy.yaml');
    const who = `[{ issuer: '${ISSUER}', subject: '${SAN}' }]`;
    writeFileSync(
      policy,
      [
        'apiVersion: sathos.dev/v1',
        'kind: Policy',
        'stages: [source, build, test, scan]',
        'identities:',
        ...['source', 'build', 'test', 'scan'].map((stage) => `  ${stage}: ${who}`),
        'rules:',
        '  - id: tests-passed',
        '    stage: test',
        '    expression: "evidence.testResult.result == \'PASSED\'"',
        '    message: the test stage must pass',
        '',
      ].join('\n'),
    );
    await built('denied', policy);
    const failing = join(fx.work, 'failing.xml');
    writeFileSync(
      failing,
      '<testsuite name="s"><testcase name="breaks"><failure message="no"/></testcase></testsuite>',
    );
    // The denied step's bundles go to the chain file only: an attestation stored on GitHub is
    // what `gh attestation verify` accepts, and it knows nothing of SATHOS's deny.
    const published = fx.github.attestations.length;
    const io = await step('denied', {
      INPUT_STAGE: 'test',
      INPUT_JUNIT: failing,
      INPUT_POLICY: policy,
    });
    assert.match(io.failures[0] ?? '', /POLICY_DENIED: .*the test stage must pass/);
    assert.equal(fx.github.attestations.length, published);
    assert.ok(io.lines.some((l) => l.level === 'error' && /tests-passed/.test(l.line)));
    const record = statementOf(chainBundles(fx.chainPath('denied')).at(-1));
    assert.equal((record.predicate as { policy: { decision: string } }).policy.decision, 'deny');
    // No later step builds on a denied record.
    const before = fx.chainBytes('denied');
    const scan = await step('denied', {
      INPUT_STAGE: 'scan',
      INPUT_SARIF: sarif,
      INPUT_POLICY: policy,
    });
    assert.equal(scan.failures.length, 1);
    assert.deepEqual(fx.chainBytes('denied'), before);
  });

  void it('without a stage input, fails naming the input', () => {
    assert.throws(() => readAttestInputs({ ...fx.env('public'), ...fx.inputs('x', 'public') }), {
      message: 'input "stage" is required; set it in the step\'s with:',
    });
  });
});
