// End to end: the demo runs the reusable pipeline through the local workflow runner, keyless, each
// job as its own stage workflow; its chain verifies offline (the stand-ins gone) with the arguments
// demo.json gives, the artifact swapped between jobs was refused at the gate with no deploy token,
// and every altered copy of the chain is rejected with exit 1 and {"verified": false}, never a crash.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';

interface Cli {
  code: number;
  json: Record<string, unknown>;
  stderr: string;
}

async function sathos(args: readonly string[]): Promise<Cli> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t) });
  const json = args.includes('--json') ? (JSON.parse(out) as Record<string, unknown>) : {};
  return { code, json, stderr: err };
}

interface DemoJson {
  chain: string;
  artifacts: string[];
  policy: string;
  trustedRoot: string;
  verify: string[];
  gate: string[];
}

type Bundle = {
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string }[] };
};

const decode = (line: string): { predicateType: string; predicate: { stage?: string } } => {
  const bundle = JSON.parse(line) as Bundle;
  return JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as {
    predicateType: string;
    predicate: { stage?: string };
  };
};

const TRANSITION = 'https://sathos.dev/attestation/transition/v1';
/** What an altered keyless bundle is refused with: its log entry, its timestamp or its signature. */
const TAMPERED = ['TLOG_INVALID', 'TIMESTAMP_INVALID', 'SIGNATURE_INVALID'] as const;

describe('sathos demo', () => {
  let dir: string;
  let demo: DemoJson;
  let lines: string[];
  let otherLines: string[];
  let output: Record<string, unknown>;

  /** Verifies an altered chain with exactly demo.json's arguments, the chain path swapped. */
  async function verifyAltered(altered: readonly string[], artifact?: string): Promise<Cli> {
    const path = join(dir, `altered-${String(Math.random()).slice(2)}.jsonl`);
    await writeFile(path, altered.join('\n') + '\n');
    const args = demo.verify.map((a) => (a === demo.chain ? path : a));
    const swapped =
      artifact === undefined ? args : args.map((a) => (a === demo.artifacts[0] ? artifact : a));
    return sathos([...swapped, '--json']);
  }

  function recordIndex(stage: string): number {
    const i = lines.findIndex((l) => {
      const s = decode(l);
      return s.predicateType === TRANSITION && s.predicate.stage === stage;
    });
    assert.ok(i >= 0, `demo chain has a ${stage} record`);
    return i;
  }

  /** Exit 1 with `code`, or any of `code`'s list: a keyless bundle's log entry or timestamp may catch an alteration before its signature does. */
  function expectRejected(result: Cli, code?: string | readonly string[]): void {
    assert.equal(
      result.code,
      1,
      `exit 1 expected, got ${result.code}: ${JSON.stringify(result.json)}`,
    );
    assert.equal(result.json.verified, false);
    assert.equal(typeof result.json.reason, 'string');
    assert.notEqual(result.json.code, 'INTERNAL_ERROR', 'a rejection, not a crash');
    if (code !== undefined) {
      const codes: readonly string[] = typeof code === 'string' ? [code] : code;
      assert.ok(codes.includes(String(result.json.code)), String(result.json.reason));
    }
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sathos-e2e-'));
    const first = await sathos(['demo', '--out', join(dir, 'one'), '--json']);
    assert.equal(first.code, 0, JSON.stringify(first.json));
    output = first.json;
    demo = JSON.parse(await readFile(join(dir, 'one', 'demo.json'), 'utf8')) as DemoJson;
    lines = (await readFile(demo.chain, 'utf8')).trim().split('\n');
    // The attack run is another run of the same pipeline: its records are foreign to this chain.
    const attack = join(dir, 'one', 'runs', 'artifact-swapped');
    const artifacts = (await readdir(attack)).find((n) => n.startsWith('artifacts-')) ?? '';
    otherLines = (
      await readFile(join(attack, artifacts, 'sathos-chain-scan', 'chain.jsonl'), 'utf8')
    )
      .trim()
      .split('\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes demo.json with the verify and gate arguments docs/cli.md promises', () => {
    assert.equal(demo.verify[0], 'verify-chain');
    assert.equal(demo.gate[0], 'gate');
    assert.ok(demo.verify.includes(demo.chain));
    assert.ok(demo.artifacts.every((a) => demo.verify.includes(a)));
    assert.equal(lines.filter((l) => decode(l).predicateType === TRANSITION).length, 6);
  });

  it('signed each stage as its own stage workflow, keyless, and verifies with the root it wrote', () => {
    assert.ok(demo.verify.includes('--trusted-root') && demo.verify.includes(demo.trustedRoot));
    assert.ok(!demo.verify.includes('--key'));
    const records = (output.verification as { records: { stage: string; signer: string }[] })
      .records;
    const file = (stage: string) => (['decision', 'deploy'].includes(stage) ? 'deploy' : stage);
    for (const r of records) {
      assert.match(
        JSON.stringify(r),
        new RegExp(`/\\.github/workflows/sathos-${file(r.stage)}\\.yml@[0-9a-f]{40}`),
        `${r.stage} is signed by its own stage workflow`,
      );
    }
  });

  it('refused the swapped artifact at the gate and asked for no deploy token', () => {
    const honest = output.tokenRequests as { job: string; audience: string }[];
    const attack = output.attack as {
      refusedAt: string;
      reason: string;
      tokenRequests: { job: string; audience: string }[];
    };
    assert.deepEqual(
      honest.filter((t) => t.audience === 'sathos-deploy:demo'),
      [{ job: 'release/deploy/deploy', audience: 'sathos-deploy:demo' }],
    );
    assert.equal(attack.refusedAt, 'release/deploy/deploy');
    assert.match(attack.reason, /SUBJECT_MISMATCH/);
    assert.deepEqual(
      attack.tokenRequests.filter((t) => t.audience.startsWith('sathos-deploy')),
      [],
    );
  });

  it("accepts its own chain with demo.json's verify arguments", async () => {
    const result = await sathos([...demo.verify, '--json']);
    assert.equal(result.code, 0, JSON.stringify(result.json));
    assert.equal(result.json.verified, true);
    assert.equal(result.json.code, 'OK');
    assert.equal(result.json.complete, true);
    const stages = (result.json.records as { stage: string }[]).map((r) => r.stage);
    assert.deepEqual(stages, ['source', 'build', 'test', 'scan', 'decision', 'deploy']);
  });

  it('re-evaluates the policy for every record (step 8) and reports each decision', async () => {
    const result = await sathos([...demo.verify, '--json']);
    const policy = result.json.policy as { allowed: boolean; decisions: { stage: string }[] };
    assert.equal(policy.allowed, true);
    assert.deepEqual(
      policy.decisions.map((d) => d.stage),
      ['source', 'build', 'test', 'scan', 'decision', 'deploy'],
    );
  });

  it('rejects its own chain under a stricter policy, naming the rule it fails', async () => {
    const strict = join(dir, 'strict-policy.yaml');
    const text = await readFile(demo.policy, 'utf8');
    const stricter = text.replace(
      "evidence.tests.result == 'PASSED'",
      "evidence.tests.result == 'FAILED'",
    );
    assert.notEqual(stricter, text);
    await writeFile(strict, stricter);
    const result = await sathos([
      ...demo.verify.map((a) => (a === demo.policy ? strict : a)),
      '--json',
    ]);
    expectRejected(result, 'POLICY_DENIED');
    assert.match(String(result.json.reason), /tests-passed/);
  });

  it('accepts the chain reordered and with lines repeated: a chain is a set', async () => {
    const result = await verifyAltered([...lines].reverse().concat(lines.slice(0, 3)));
    assert.equal(result.code, 0, JSON.stringify(result.json));
  });

  describe('when the chain was altered', () => {
    it('rejects a changed statement', async () => {
      const i = recordIndex('test');
      const bundle = JSON.parse(lines[i] ?? '') as Bundle;
      const statement = JSON.parse(
        Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'),
      ) as {
        predicate: { observations?: unknown };
      };
      statement.predicate.observations = { note: 'nothing to see' };
      bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
      const altered = [...lines];
      altered[i] = JSON.stringify(bundle);
      expectRejected(await verifyAltered(altered), TAMPERED);
    });

    it('rejects a swapped signature', async () => {
      const [a, b] = [recordIndex('build'), recordIndex('scan')];
      const ba = JSON.parse(lines[a] ?? '') as Bundle;
      const bb = JSON.parse(lines[b] ?? '') as Bundle;
      [ba.dsseEnvelope.signatures, bb.dsseEnvelope.signatures] = [
        bb.dsseEnvelope.signatures,
        ba.dsseEnvelope.signatures,
      ];
      const altered = [...lines];
      altered[a] = JSON.stringify(ba);
      altered[b] = JSON.stringify(bb);
      expectRejected(await verifyAltered(altered), TAMPERED);
    });

    for (const [which, stage, code] of [
      ['first (the genesis)', 'source', 'INCOMPLETE_CHAIN'],
      ['middle', 'scan', 'CHAIN_BROKEN'],
      ['last (the deployment)', 'deploy', 'INCOMPLETE_CHAIN'],
    ] as const) {
      it(`rejects the ${which} record removed`, async () => {
        const i = recordIndex(stage);
        expectRejected(await verifyAltered(lines.filter((_, j) => j !== i)), code);
      });
    }

    it('rejects the first line removed (the source evidence)', async () => {
      expectRejected(await verifyAltered(lines.slice(1)), 'EVIDENCE_INVALID');
    });

    it('rejects a malformed line', async () => {
      const altered = [...lines];
      altered.splice(2, 0, '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", ');
      expectRejected(await verifyAltered(altered), 'MALFORMED_CHAIN');
    });

    it('rejects a record taken from another demo run', async () => {
      const foreign = otherLines.find((l) => {
        const s = decode(l);
        return s.predicateType === TRANSITION && s.predicate.stage === 'test';
      });
      assert.ok(foreign !== undefined);
      const altered = [...lines];
      altered[recordIndex('test')] = foreign;
      expectRejected(await verifyAltered(altered));
    });

    it('rejects a changed artifact', async () => {
      const artifact = join(dir, 'changed.tar');
      const bytes = await readFile(demo.artifacts[0] ?? '');
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 1, bytes.length - 1);
      await writeFile(artifact, bytes);
      expectRejected(await verifyAltered(lines, artifact), 'SUBJECT_MISMATCH');
    });

    it('rejects an empty chain and a chain of garbage without crashing', async () => {
      expectRejected(await verifyAltered([]));
      expectRejected(await verifyAltered(['null', '[]', '"x"']));
    });
  });

  describe("the gate with demo.json's arguments, on the chain as the gate was handed it", () => {
    /** demo.json's gate arguments over a copy of its input chain (altered by `edit`). */
    async function gateCopy(edit: (lines: string[]) => string[] = (l) => l): Promise<{
      result: Cli;
      before: string;
      after: string;
    }> {
      const input = demo.gate[demo.gate.indexOf('--chain') + 1] ?? '';
      const given = (await readFile(input, 'utf8')).trim().split('\n');
      const path = join(dir, `gate-${String(Math.random()).slice(2)}.jsonl`);
      const before = `${edit(given).join('\n')}\n`;
      await writeFile(path, before);
      const result = await sathos([...demo.gate.map((a) => (a === input ? path : a)), '--json']);
      return { result, before, after: await readFile(path, 'utf8') };
    }

    it('allows it and appends the decision signed by the gate key', async () => {
      const { result, before, after } = await gateCopy();
      assert.equal(result.code, 0, JSON.stringify(result.json));
      assert.equal(result.json.allowed, true);
      assert.ok(after.startsWith(before) && after.length > before.length);
    });

    it('refuses it with a record altered or the scan removed: exit 1, nothing appended', async () => {
      for (const edit of [
        (l: string[]) =>
          l.map((line, i) =>
            i === 3
              ? line.replace(/"sig":"(.)/, (_, c) => `"sig":"${c === 'A' ? 'B' : 'A'}`)
              : line,
          ),
        (l: string[]) => l.filter((line) => decode(line).predicate.stage !== 'scan'),
      ]) {
        const { result, before, after } = await gateCopy(edit);
        assert.equal(result.code, 1, JSON.stringify(result.json));
        assert.equal(result.json.allowed, false);
        assert.equal(after, before);
      }
    });
  });

  it('rejects its records under a trusted root other than the one the demo wrote', async () => {
    const root = demo.verify.indexOf('--trusted-root');
    const others = demo.verify.filter((_, i) => i !== root && i !== root + 1);
    const result = await sathos([...others, '--trusted-root', 'embedded:public-good', '--json']);
    assert.equal(result.code, 1, JSON.stringify(result.json));
    assert.equal(result.json.verified, false);
  });

  describe('when the arguments are unusable', () => {
    it('exits 2 for a missing chain file', async () => {
      const result = await sathos([
        ...demo.verify.map((a) => (a === demo.chain ? join(dir, 'nope') : a)),
        '--json',
      ]);
      assert.equal(result.code, 2);
      assert.equal(result.json.verified, false);
      assert.equal(result.json.code, 'FILE_UNREADABLE');
    });

    it('exits 2 for an unknown flag, with one JSON object', async () => {
      const result = await sathos([
        'verify-chain',
        demo.chain,
        '--artifact',
        demo.artifacts[0] ?? '',
        '--bogus',
        '--json',
      ]);
      assert.equal(result.code, 2);
      assert.equal(result.json.code, 'USAGE');
    });

    it('exits 2 when nobody is named as a trusted signer', async () => {
      const result = await sathos([
        'verify-chain',
        demo.chain,
        '--artifact',
        demo.artifacts[0] ?? '',
        '--json',
      ]);
      assert.equal(result.code, 2);
      assert.equal(result.json.code, 'USAGE');
    });
  });
});
