// `sathos verify-bundle --artifact` reads the artifact once, as a stream: a 128 MiB artifact costs
// no more memory than a tiny one. Each run is a child process whose peak RSS the kernel reports;
// the tiny artifact's run, measured in the same test, is the yardstick.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createSign, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const COMMAND = fileURLToPath(new URL('./verify-bundle.ts', import.meta.url));
const BIG_BYTES = 128 * 1024 * 1024;
/** Not a timing assertion: a run still going after this is killed and reported as a hang. */
const KILL_AFTER_MS = 240_000;

interface Measured {
  readonly json: Record<string, unknown>;
  readonly exitCode: number;
  /** Peak resident set of the whole child, bytes. */
  readonly peakRss: number;
}

// The child runs the command in-process and reports its outcome and its own peak RSS.
const CHILD = `
const { verifyBundleCommand } = await import(process.env.COMMAND);
const o = await verifyBundleCommand(JSON.parse(process.env.OPTIONS));
process.stdout.write(JSON.stringify({ json: o.json, exitCode: o.exitCode, peakRss: process.resourceUsage().maxRSS * 1024 }));
`;

function measure(options: Record<string, unknown>): Promise<Measured> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', CHILD],
      {
        env: { ...process.env, COMMAND, OPTIONS: JSON.stringify(options) },
        timeout: KILL_AFTER_MS,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        if (error !== null) fail(new Error(`${error.message}\n${stderr}`));
        else done(JSON.parse(stdout) as Measured);
      },
    );
  });
}

async function hashFile(algorithm: string, path: string): Promise<Buffer> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest();
}

async function signFile(path: string, key: KeyObject): Promise<Buffer> {
  const signer = createSign('sha256');
  for await (const chunk of createReadStream(path)) signer.update(chunk as Buffer);
  return signer.sign(key);
}

const MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const MATERIAL = { publicKey: { hint: 'release-key' }, tlogEntries: [] };

/** One JSON Lines file: a message signature over the file, and a DSSE statement naming it. */
async function bundlesFor(path: string, key: KeyObject): Promise<string> {
  const sha256 = await hashFile('sha256', path);
  const message = {
    mediaType: MEDIA_TYPE,
    verificationMaterial: MATERIAL,
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: sha256.toString('base64') },
      signature: (await signFile(path, key)).toString('base64'),
    },
  };
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'artifact', digest: { sha256: sha256.toString('hex') } }],
      predicateType: 'https://example.com/release',
      predicate: {},
    }),
  );
  const type = 'application/vnd.in-toto+json';
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} ${type} ${statement.length} `),
    statement,
  ]);
  const dsse = {
    mediaType: MEDIA_TYPE,
    verificationMaterial: MATERIAL,
    dsseEnvelope: {
      payload: statement.toString('base64'),
      payloadType: type,
      signatures: [{ sig: sign('sha256', pae, key).toString('base64') }],
    },
  };
  return `${JSON.stringify(message)}\n${JSON.stringify(dsse)}\n`;
}

void describe('verify-bundle --artifact', () => {
  let dir: string;
  let keyPath: string;
  let big: { artifact: string; bundle: string };
  let tiny: { artifact: string; bundle: string };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sathos-verify-bundle-'));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    keyPath = join(dir, 'key.pem');
    await writeFile(keyPath, publicKey.export({ type: 'spki', format: 'pem' }));
    const make = async (name: string, bytes: number) => {
      const artifact = join(dir, name);
      await writeFile(artifact, '');
      await truncate(artifact, bytes); // sparse: no disk, but every byte is read
      const bundle = join(dir, `${name}.sigstore.jsonl`);
      await writeFile(bundle, await bundlesFor(artifact, privateKey));
      return { artifact, bundle };
    };
    big = await make('big.bin', BIG_BYTES);
    tiny = await make('tiny.bin', 1024);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void it('verifies a 128 MiB artifact (message signature and DSSE) in the memory of a 1 KiB one', async (t) => {
    const run = (files: { artifact: string; bundle: string }) =>
      measure({ bundle: files.bundle, artifact: files.artifact, key: [keyPath] });
    const small = await run(tiny);
    const large = await run(big);
    assert.equal(small.exitCode, 0, JSON.stringify(small.json));
    assert.equal(large.exitCode, 0, JSON.stringify(large.json));
    assert.match(String(large.json.reason), /^2 bundles verified/);
    const grew = large.peakRss - small.peakRss;
    const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
    t.diagnostic(`peak RSS: ${mib(small.peakRss)} (1 KiB), ${mib(large.peakRss)} (128 MiB)`);
    // Reading the artifact whole would add at least its size; a stream adds a few chunks.
    assert.ok(
      grew < BIG_BYTES / 4,
      `peak RSS grew by ${mib(grew)} for a ${mib(BIG_BYTES)} artifact`,
    );
  });

  void it('rejects the bundles for another artifact of the same size', async () => {
    const other = join(dir, 'other.bin');
    await writeFile(other, 'x');
    await truncate(other, BIG_BYTES);
    const run = await measure({ bundle: big.bundle, artifact: other, key: [keyPath] });
    assert.equal(run.exitCode, 1);
    assert.equal(run.json.code, 'SUBJECT_MISMATCH');
  });
});
