// The action's run() over real material: the honest demo chain verifies and is drawn node by node;
// an altered record, a removed required stage, and attestations checked with a wrong owner each
// fail the step with the reason in an ::error annotation and the failing record drawn as failed.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../../packages/cli/src/index.js';
import { recordingIO, type RecordedIO } from '@sathos/github';
import type { SignerFlags } from '@sathos/core';
import { run } from '../../../actions/verify-provenance/src/main.js';
import type { RunInputs } from '../../../actions/verify-provenance/src/inputs.js';
import { parseFlowchart } from './flowchart.js';

const GH = resolve(
  import.meta.dirname,
  '../../fixtures/vectors/cli-cli/pkg/cmd/attestation/test/data',
);

interface DemoJson {
  chain: string;
  artifacts: string[];
  policy: string;
  verify: string[];
}

const TRANSITION = 'https://sathos.dev/attestation/transition/v1';

function stageOf(line: string): string | undefined {
  const bundle = JSON.parse(line) as { dsseEnvelope: { payload: string } };
  const s = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as {
    predicateType: string;
    predicate: { stage?: string };
  };
  return s.predicateType === TRANSITION ? s.predicate.stage : undefined;
}

async function runAction(inputs: Partial<RunInputs>): Promise<RecordedIO> {
  const io = recordingIO();
  const full: RunInputs = {
    artifacts: [],
    digests: [],
    evidence: { kind: 'chain', path: 'chain.jsonl' },
    verifyKeys: [],
    signer: {},
    ...inputs,
  };
  await run(full, { env: {}, fetch: globalThis.fetch, io });
  return io;
}

function mermaidOf(io: RecordedIO): string {
  const summary = io.summaries.at(-1);
  assert.ok(summary?.mermaid !== undefined, 'the summary draws the chain');
  return summary.mermaid;
}

void describe('verify-provenance over the demo chain', () => {
  let dir: string;
  let demo: DemoJson;
  let lines: string[];
  let keys: string[];
  let environment: string | undefined;
  let trustedRoot: string | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sathos-provenance-'));
    let out = '';
    const code = await runCli(['demo', '--out', join(dir, 'demo'), '--json'], {
      out: (t) => (out += t),
      err: () => undefined,
    });
    assert.equal(code, 0, out);
    demo = JSON.parse(await readFile(join(dir, 'demo', 'demo.json'), 'utf8')) as DemoJson;
    lines = (await readFile(demo.chain, 'utf8')).trim().split('\n');
    const valuesOf = (flag: string): string[] =>
      demo.verify.flatMap((a, i) => (a === flag ? [demo.verify[i + 1] ?? ''] : []));
    // Whatever demo.json's verify arguments trust, the action is handed the same.
    keys = valuesOf('--key');
    environment = valuesOf('--environment')[0];
    trustedRoot = valuesOf('--trusted-root')[0];
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const inputsFor = (chain: string): Partial<RunInputs> => ({
    artifacts: demo.artifacts,
    evidence: { kind: 'chain', path: chain },
    policy: demo.policy,
    verifyKeys: keys,
    ...(environment === undefined ? {} : { environment }),
    ...(trustedRoot === undefined ? {} : { trustedRoot }),
  });

  async function altered(name: string, chainLines: readonly string[]): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, chainLines.join('\n') + '\n');
    return path;
  }

  void it('verifies the honest chain and draws every record, verified, in order', async () => {
    const io = await runAction(inputsFor(demo.chain));
    assert.deepEqual(io.failures, [], JSON.stringify(io.lines));
    assert.equal(io.outputs.get('verified'), 'true');
    const chart = parseFlowchart(mermaidOf(io));
    assert.deepEqual(
      chart.nodes.map((n) => n.stage),
      ['source', 'build', 'test', 'scan', 'decision', 'deploy'],
    );
    assert.ok(chart.nodes.every((n) => n.verdict === 'verified'));
    assert.ok(chart.nodes.every((n) => n.signer !== ''));
    assert.deepEqual(chart.edges, [
      ['r0', 'r1'],
      ['r1', 'r2'],
      ['r2', 'r3'],
      ['r3', 'r4'],
      ['r4', 'r5'],
    ]);
  });

  void it('fails on an altered record, annotating the reason and drawing that record failed', async () => {
    const i = lines.findIndex((l) => stageOf(l) === 'build');
    const bundle = JSON.parse(lines[i] ?? '') as { dsseEnvelope: { payload: string } };
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString()) as {
      predicate: { observations?: unknown };
    };
    statement.predicate.observations = { injected: true };
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    const copy = [...lines];
    copy[i] = JSON.stringify(bundle);
    const io = await runAction(inputsFor(await altered('altered.jsonl', copy)));
    assert.equal(io.outputs.get('verified'), 'false');
    assert.equal(io.failures.length, 1);
    assert.match(io.failures[0] ?? '', /^(SIGNATURE_INVALID|TLOG_INVALID): /);
    const errors = io.lines.filter((l) => l.level === 'error').map((l) => l.line);
    assert.equal(errors.length, 1, JSON.stringify(io.lines));
    const chart = parseFlowchart(mermaidOf(io));
    const failed = chart.nodes.filter((n) => n.verdict === 'failed');
    assert.equal(failed.length, 1);
    assert.ok(
      chart.nodes.every((n) => n.verdict !== 'verified'),
      'nothing is verified',
    );
  });

  void it('fails when a required stage is removed, naming the stage', async () => {
    const copy = lines.filter((l) => stageOf(l) !== 'test');
    const io = await runAction(inputsFor(await altered('no-test.jsonl', copy)));
    assert.equal(io.outputs.get('verified'), 'false');
    assert.match(io.failures[0] ?? '', /\btest\b/);
    const chart = parseFlowchart(mermaidOf(io));
    assert.ok(!chart.nodes.some((n) => n.stage === 'test'));
    assert.ok(chart.nodes.every((n) => n.verdict !== 'verified'));
  });
});

void describe('verify-provenance over attestations made by GitHub', () => {
  const base: Partial<RunInputs> = {
    artifacts: [join(GH, 'github_provenance_demo-0.0.12-py3-none-any.whl')],
    evidence: {
      kind: 'bundles',
      path: join(GH, 'github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl'),
    },
  };
  const right: SignerFlags = {
    owner: 'actions',
    repo: 'actions/attest-demo',
    signerWorkflow: 'actions/attest-demo/.github/workflows/build-python.yml',
  };

  void it('verifies with the right owner, repo and signer workflow', async () => {
    const io = await runAction({ ...base, signer: right });
    assert.deepEqual(io.failures, [], JSON.stringify(io.lines));
    assert.equal(io.outputs.get('verified'), 'true');
    const node = parseFlowchart(mermaidOf(io)).nodes.at(0);
    assert.ok(node !== undefined);
    assert.equal(node.verdict, 'verified');
    assert.match(node.signer, /attest-demo\/\.github\/workflows\/build-python\.yml/);
  });

  void it('verify-keys alone do not let a certificate signer through', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sathos-provenance-key-'));
    try {
      const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .publicKey.export({ type: 'spki', format: 'pem' })
        .toString();
      await writeFile(join(dir, 'key.pem'), pem);
      const io = await runAction({
        ...base,
        verifyKeys: [join(dir, 'key.pem')],
        signer: { keyed: true },
      });
      assert.equal(io.outputs.get('verified'), 'false');
      const errors = io.lines.filter((l) => l.level === 'error').map((l) => l.line);
      assert.match(
        errors[0] ?? '',
        /UNTRUSTED_SIGNER: .*not by a verify-keys key/,
        JSON.stringify(io.lines),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  void it('fails with a wrong owner, in one ::error line saying what the certificate says', async () => {
    const io = await runAction({ ...base, signer: { ...right, owner: 'evil-org' } });
    assert.equal(io.outputs.get('verified'), 'false');
    const errors = io.lines.filter((l) => l.level === 'error').map((l) => l.line);
    assert.equal(errors.length, 1, JSON.stringify(io.lines));
    assert.match(
      errors[0] ?? '',
      /IDENTITY_MISMATCH: .*expected source repository owner https:\/\/github\.com\/evil-org, but the certificate says "https:\/\/github\.com\/actions"/,
    );
  });
});
