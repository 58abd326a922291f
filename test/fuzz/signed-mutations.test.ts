// No mutation of a valid signed input verifies as something else. Each property takes a real signed
// input (a key-signed and a public-good Sigstore bundle, an SSH signature, a commit signed over SSH by
// git, GitHub's web-flow OpenPGP commit, a gitsign commit, an openpgp.js signature), mutates its bytes
// or fields, and judges the result: a SathosError, or a verdict whose signed content (payload,
// commit, signer) is byte for byte the original's — unsigned bytes (JSON whitespace, base64 line
// breaks, the OpenPGP quick check) may change and still verify.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  createBundleVerifier,
  parseAllowedSigners,
  parseBundleText,
  parseCommit,
  parsePublicKeys,
  parseSshSignature,
  readPgpKeys,
  trustFromJSON,
  verifyPgpSignature,
  verifySshSignatureOver,
  type BundleVerifier,
  type GitCommit,
  type Trust,
  type VerifiedBundle,
} from '@sathos/core';
import { checkCommitSignature } from '../../packages/core/src/identity/commits/signature.js';
import type { SignerSet } from '../../packages/core/src/identity/commits/signers.js';
import { sshFingerprint } from '../../packages/core/src/identity/commits/ssh/key.js';
import { statementFor } from '../vectors/key-signed-bundle.js';
import {
  fuzzParameters,
  hostileText,
  judge,
  judgeAsync,
  mutatedBytes,
  shown,
  Tally,
} from './harness.js';
import {
  bundleOf,
  GITSIGN_COMMITS,
  makePgpMaterial,
  makeSshMaterial,
  pgpDetachedSignature,
  PROVENANCE,
  webFlowArmored,
  webFlowCommit,
  WEB_FLOW,
  type SshMaterial,
} from './samples.js';

type Json = Record<string, unknown>;

/** Every path to a value inside `value`, objects and arrays included. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const here = [at];
  if (Array.isArray(value)) return here.concat(...value.map((v, i) => pathsOf(v, [...at, i])));
  if (typeof value === 'object' && value !== null) {
    return here.concat(...Object.entries(value).map(([k, v]) => pathsOf(v, [...at, k])));
  }
  return here;
}

/** A field edit: set the value at a path, or delete it. */
interface FieldEdit {
  readonly path: number;
  readonly value: unknown;
  readonly remove: boolean;
}

function applyFieldEdit(root: unknown, edit: FieldEdit, donors: readonly unknown[]): unknown {
  const paths = pathsOf(root).filter((p) => p.length > 0);
  const path = paths[edit.path % Math.max(1, paths.length)];
  if (path === undefined) return root;
  const copy = structuredClone(root) as Json;
  const parent = path.slice(0, -1).reduce<Json>((node, key) => node[key] as Json, copy);
  const last = path.at(-1) ?? '';
  if (edit.remove && Array.isArray(parent)) parent.splice(Number(last), 1);
  else if (edit.remove) Reflect.deleteProperty(parent, last);
  else
    parent[last] = typeof edit.value === 'number' ? donors[edit.value % donors.length] : edit.value;
  return copy;
}

const fieldEdit = (donorCount: number): fc.Arbitrary<FieldEdit> =>
  fc.record({
    path: fc.nat(),
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.integer({ min: 0, max: Math.max(0, donorCount - 1) }),
    ),
    remove: fc.boolean(),
  });

/** Every value inside `root` (payloads, signatures, certificates): swapped in by field edits. */
function donorsOf(roots: readonly unknown[]): unknown[] {
  return roots.flatMap((root) =>
    pathsOf(root).map((p) =>
      p.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root),
    ),
  );
}

/** Re-encodings of a base64 string that decode to the same bytes or to other bytes. */
function reencode(base64: string, how: number): string {
  switch (how % 5) {
    case 0:
      return base64.replace(/=+$/, '');
    case 1:
      return base64.replaceAll('+', '-').replaceAll('/', '_');
    case 2:
      return `${base64.slice(0, 8)}\n${base64.slice(8)}`;
    case 3:
      return ` ${base64} `;
    default:
      return `${base64}AAAA`;
  }
}

interface BundleTarget {
  readonly name: string;
  readonly text: string;
  readonly verifier: () => BundleVerifier;
  /** Other bundles an attacker holds; their values are swapped into the target by field edits. */
  readonly donorBundles: readonly unknown[];
  readonly scale: number;
}

let trust: Trust;
let ssh: SshMaterial;

before(async () => {
  trust = trustFromJSON(JSON.parse(PROVENANCE.root), 'public-good');
  ssh = makeSshMaterial();
  pgp = await pgpMaterial();
});
after(() => {
  ssh.cleanup();
});

/** The same payload, but each DSSE field a mutation could set: texts, JSON with duplicate keys. */
function bundleInputs(target: BundleTarget): fc.Arbitrary<string> {
  const donors = donorsOf(target.donorBundles);
  const json = JSON.parse(target.text) as Json;
  const envelope = json.dsseEnvelope as Json;
  const payload = String(envelope.payload);
  const duplicated = (other: string, first: boolean): string => {
    const spliced = JSON.stringify(json).replace(
      '"dsseEnvelope":{',
      `"dsseEnvelope":{${first ? `"payload":"${other}",` : ''}`,
    );
    return first ? spliced : spliced.replace(/}}$/, `,"payload":"${other}"}}`);
  };
  return fc.oneof(
    { weight: 3, arbitrary: hostileText([target.text]) },
    {
      weight: 3,
      arbitrary: fc
        .array(fieldEdit(donors.length), { minLength: 1, maxLength: 3 })
        .map((edits) =>
          JSON.stringify(edits.reduce<unknown>((node, e) => applyFieldEdit(node, e, donors), json)),
        ),
    },
    {
      weight: 1,
      arbitrary: fc.nat().map((how) =>
        JSON.stringify({
          ...json,
          dsseEnvelope: { ...envelope, payload: reencode(payload, how) },
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(mutatedBytes([Buffer.from(payload, 'base64')]), fc.boolean())
        .map(([bytes, first]) => duplicated(bytes.toString('base64'), first)),
    },
  );
}

/** What a verified bundle vouches for: the signer, the payload type and the payload bytes. */
function bundleContent(verified: VerifiedBundle): string {
  return JSON.stringify({
    signer: verified.signer,
    payloadType: verified.dsse?.payloadType,
    payload: verified.dsse?.payload.toString('base64'),
  });
}

/**
 * The content the trusted signers really signed: the target and every donor that verifies on its
 * own (the trusted key's signature over another payload is a genuine signature, not a forgery).
 */
function genuinelySigned(verifier: BundleVerifier, target: BundleTarget): Set<string> {
  const genuine = new Set<string>();
  for (const bundle of [JSON.parse(target.text) as unknown, ...target.donorBundles]) {
    try {
      genuine.add(bundleContent(verifier.verify(bundle)));
    } catch {
      // another key's signature: not something the trusted signers vouch for
    }
  }
  return genuine;
}

void describe('no mutation of a signed bundle verifies other content', () => {
  const keyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const payload = Buffer.from(JSON.stringify(statementFor('a'.repeat(64))));
  const keyed = JSON.stringify(bundleOf(payload, keyPair.privateKey));
  const pem = keyPair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const targets: BundleTarget[] = [
    {
      name: 'key-signed bundle',
      text: keyed,
      verifier: () =>
        createBundleVerifier(trust, {
          keys: parsePublicKeys(pem, 'fuzz.pem'),
          allowUnloggedKeySignatures: true,
        }),
      // Material an attacker has: the same key's signature over other payloads, another key's.
      // The same key's signatures over other content, and another key's over the same payload.
      donorBundles: [
        bundleOf(Buffer.from(JSON.stringify(statementFor('b'.repeat(64)))), keyPair.privateKey),
        bundleOf(payload, keyPair.privateKey, 'application/json'),
        bundleOf(payload, other.privateKey),
      ],
      scale: 1,
    },
    {
      name: 'public-good bundle',
      text: PROVENANCE.bundle,
      verifier: () => createBundleVerifier(trust),
      donorBundles: [JSON.parse(keyed)],
      // sigstore-js verifies a certificate chain, SCTs and a log entry per input: ~100 ms each.
      scale: 0.03,
    },
  ];

  for (const target of targets) {
    void it(`${target.name}: a verdict on the signed payload, or a SathosError`, (t) => {
      const tally = new Tally(`verify ${target.name}`);
      const verifier = target.verifier();
      const genuine = genuinelySigned(verifier, target);
      fc.assert(
        fc.property(bundleInputs(target), (text) => {
          const docs = judge(
            tally,
            () => shown(text),
            () => parseBundleText(text, 'fuzz.json'),
          );
          if (!docs.ok) return;
          for (const doc of docs.value) {
            const result = judge(
              tally,
              () => shown(text),
              () => verifier.verify(doc.json),
            );
            if (!result.ok) continue;
            tally.verified += 1;
            const same = genuine.has(bundleContent(result.value));
            if (!same) tally.falseAccepts += 1;
            assert.ok(
              same,
              `false accept: a mutated bundle verified other content: ${shown(text)}`,
            );
          }
        }),
        fuzzParameters(target.scale),
      );
      tally.report(t);
    });
  }
});

void describe('no mutation of an SSH signature verifies another message or key', () => {
  void it('sshsig: parse and verify, or a SathosError; verified ⇒ same message, same key', (t) => {
    const tally = new Tally('verify sshsig');
    const signatures = [...ssh.signatures, ssh.certificateSignature];
    const keys = new Set(signatures.map((s) => sshFingerprint(parseSshSignature(s).key.blob)));
    fc.assert(
      fc.property(
        hostileText(signatures),
        fc.option(mutatedBytes([ssh.message]), { freq: 3 }),
        (armored, message) => {
          const over = message ?? ssh.message;
          const result = judge(
            tally,
            () => shown(armored),
            () => {
              const sig = parseSshSignature(armored);
              verifySshSignatureOver(sig, over);
              return sig;
            },
          );
          if (!result.ok) return;
          tally.verified += 1;
          const same = over.equals(ssh.message) && keys.has(sshFingerprint(result.value.key.blob));
          if (!same) tally.falseAccepts += 1;
          assert.ok(same, `false accept: ${shown(armored)} over ${shown(over)}`);
        },
      ),
      fuzzParameters(),
    );
    tally.report(t);
  });
});

const NO_SIGNERS: SignerSet = { name: 'fuzz', allowedSigners: [], pgpKeys: [], gitsign: [] };

/** The commit's signed content: everything the signature covers. */
function signedContent(commit: GitCommit): string {
  return JSON.stringify({
    payload: commit.payload.toString('base64'),
    tree: commit.tree,
    parents: commit.parents,
    author: commit.author,
    committer: commit.committer,
  });
}

interface CommitTarget {
  readonly name: string;
  readonly id: string;
  readonly raw: () => Buffer;
  readonly set: () => Promise<SignerSet>;
  readonly keyTime: Date;
  readonly scale: number;
}

let pgp: { armoredKey: string; privateKeyArmored: string };

async function pgpMaterial(): Promise<{ armoredKey: string; privateKeyArmored: string }> {
  return makePgpMaterial('ed@example.com');
}

const COMMIT_TARGETS: CommitTarget[] = [
  {
    name: 'SSH-signed commit (git + ssh-keygen)',
    id: '',
    raw: () => ssh.commit.raw,
    set: () =>
      Promise.resolve({
        ...NO_SIGNERS,
        allowedSigners: parseAllowedSigners(ssh.allowedSigners, 'fuzz_signers'),
      }),
    keyTime: new Date(),
    scale: 1,
  },
  {
    name: 'GitHub web-flow OpenPGP commit',
    id: WEB_FLOW.modern,
    raw: () => webFlowCommit(WEB_FLOW.modern),
    set: async () => ({
      ...NO_SIGNERS,
      pgpKeys: await readPgpKeys(await webFlowArmored(), 'web-flow.gpg'),
    }),
    keyTime: new Date('2026-06-01T00:00:00Z'),
    scale: 0.5,
  },
  {
    name: 'gitsign commit (public-good, offline Rekor entry)',
    id: 'f'.repeat(40),
    raw: () => GITSIGN_COMMITS[0] ?? Buffer.alloc(0),
    set: () =>
      Promise.resolve({
        ...NO_SIGNERS,
        gitsign: [{ issuer: 'https://accounts.google.com', subject: 'billy@chainguard.dev' }],
      }),
    keyTime: new Date('2023-06-05T16:11:20Z'),
    scale: 0.1,
  },
];

void describe('no mutation of a signed commit verifies other commit content', () => {
  for (const target of COMMIT_TARGETS) {
    void it(`${target.name}: verified ⇒ the signed content is the original's`, async (t) => {
      const tally = new Tally(`verify ${target.name}`);
      const id = target.id === '' ? ssh.commit.id : target.id;
      const raw = target.raw();
      const set = await target.set();
      const original = parseCommit(id, raw);
      await checkCommitSignature(original, [set], target.keyTime);
      const expected = signedContent(original);
      await fc.assert(
        fc.asyncProperty(mutatedBytes([raw]), async (bytes) => {
          const commit = judge(
            tally,
            () => shown(bytes),
            () => parseCommit(id, bytes),
          );
          if (!commit.ok) return;
          const result = await judgeAsync(
            tally,
            () => shown(bytes),
            () => checkCommitSignature(commit.value, [set], target.keyTime),
          );
          if (!result.ok) return;
          tally.verified += 1;
          const same = signedContent(commit.value) === expected;
          if (!same) tally.falseAccepts += 1;
          assert.ok(same, `false accept: a mutated commit verified: ${shown(bytes)}`);
        }),
        fuzzParameters(target.scale),
      );
      tally.report(t);
    });
  }
});

void describe('no mutation of an OpenPGP signature verifies another payload', () => {
  void it('openpgp.js detached signature: verified ⇒ same payload', async (t) => {
    const tally = new Tally('verify OpenPGP signature');
    const keys = await readPgpKeys(pgp.armoredKey, 'fuzz.asc');
    const payload = Buffer.from('tree 0123\nauthor Ed <ed@example.com>\n\nsigned\n');
    const time = new Date('2026-01-01T00:00:00Z');
    const signature = await pgpDetachedSignature(pgp.privateKeyArmored, payload, time);
    const verify = (armoredSignature: string, over: Buffer) =>
      verifyPgpSignature({
        armoredSignature,
        payload: over,
        keys,
        time,
        validAt: time,
        email: 'ed@example.com',
      });
    await verify(signature, payload);
    await fc.assert(
      fc.asyncProperty(
        hostileText([signature]),
        fc.option(mutatedBytes([payload]), { freq: 3 }),
        async (armored, mutated) => {
          const over = mutated ?? payload;
          const result = await judgeAsync(
            tally,
            () => shown(armored),
            () => verify(armored, over),
          );
          if (!result.ok) return;
          tally.verified += 1;
          const same = over.equals(payload);
          if (!same) tally.falseAccepts += 1;
          assert.ok(same, `false accept: ${shown(armored)} over ${shown(over)}`);
        },
      ),
      fuzzParameters(0.5),
    );
    tally.report(t);
  });
});
