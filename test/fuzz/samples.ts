// Valid inputs the fuzzers start from: real fixtures where the repository has them (Sigstore
// bundles, GitHub web-flow and gitsign commits, trusted roots), and inputs made here with real tools
// (ssh-keygen keys, certificates and signatures; a git commit signed over SSH; openpgp.js keys).
import { execFileSync } from 'node:child_process';
import { sign as signBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMessage, generateKey, readKeys, readPrivateKey, sign } from 'openpgp';
import {
  buildTransitionStatement,
  sha256Hex,
  type NextLink,
  type TransitionStatement,
} from '@sathos/core';
import { keySignedBundle } from '../vectors/key-signed-bundle.js';
import { vectorsDir } from '../vectors/vector-cases.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
export const VECTORS = vectorsDir();

export function vector(path: string): string {
  return readFileSync(join(VECTORS, path), 'utf8');
}

/** A real public-good DSSE bundle (GitHub artifact attestation) and its artifact's digest. */
export const PROVENANCE = {
  bundle: vector(
    'cli-cli/pkg/cmd/attestation/test/data/reusable-workflow-attestation.sigstore.json',
  ),
  artifactSha256: '49a3aa6075e0f49f82843e74b5baa614ad2a588e6675612bf108a0a008c5ac25',
  root: vector('root-signing/targets/trusted_root.json'),
};

export const GITHUB_ROOT = vector(
  'sigstore-rust/crates/sigstore-trust-root/src/trusted_root_github.json',
);

export const GITSIGN_COMMITS = ['gitsign-offline.commit', 'gitsign-online.commit'].map((name) =>
  readFileSync(join(import.meta.dirname, '..', 'commits', 'fixtures', name)),
);

export const WEB_FLOW = {
  dir: join(FIXTURES, 'github-web-flow'),
  /** A web-UI merge of 2024-01-22, signed by the key GitHub uses since 2024-01-16. */
  modern: 'd984cb2e617ed5328d424000d8f3ac5b90787d08',
  old: 'ad41a6c27317e688719c813b0d6a25685a9bce54',
};

export function webFlowCommit(id: string): Buffer {
  return readFileSync(join(WEB_FLOW.dir, `${id}.commit`));
}

/** GitHub's web-flow keys as ASCII armor (the fixture is GitHub's binary export). */
export async function webFlowArmored(): Promise<string> {
  const keys = await readKeys({ binaryKeys: readFileSync(join(WEB_FLOW.dir, 'web-flow.gpg')) });
  return keys.map((k) => k.armor()).join('\n');
}

const PAYLOAD_TYPE = 'application/vnd.in-toto+json';

function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType);
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

/** A v0.3 key-signed DSSE bundle of `payload` by `key`. */
export function bundleOf(
  payload: Buffer,
  key: KeyObject,
  payloadType = PAYLOAD_TYPE,
): Record<string, unknown> {
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'fuzz-key' }, tlogEntries: [] },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType,
      signatures: [{ sig: signBytes('sha256', pae(payloadType, payload), key).toString('base64') }],
    },
  };
}

const RUN = {
  repository: 'demo/hello-sathos',
  workflowRef: 'demo/hello-sathos/.github/workflows/release.yml@refs/heads/main',
  runId: '1001',
  runAttempt: 1,
  commit: 'a'.repeat(40),
};

function transition(stage: string, link: NextLink): TransitionStatement {
  return buildTransitionStatement({
    stage,
    subjects: [{ name: `${stage}.bin`, digest: { sha256: sha256Hex(stage) } }],
    run: RUN,
    link,
    actor: { kind: 'key', keyId: `sha256:${'b'.repeat(64)}` },
  });
}

/** A two-record chain of key-signed bundles (source, then build linked to it), as JSON Lines. */
export function chainText(): string {
  const source = keySignedBundle(transition('source', { sequence: 0, previous: [] }));
  const payload = Buffer.from(
    (source.bundle.dsseEnvelope as { payload: string }).payload,
    'base64',
  );
  const digest = sha256Hex(payload);
  const build = keySignedBundle(
    transition('build', {
      sequence: 1,
      genesis: { sha256: digest },
      previous: [{ digest: { sha256: digest } }],
    }),
  );
  return `${JSON.stringify(source.bundle)}\n${JSON.stringify(build.bundle)}\n`;
}

/** ssh-keygen material made in a scratch directory that the caller removes with `cleanup`. */
export interface SshMaterial {
  readonly dir: string;
  /** `ssh-ed25519 AAAA… comment` lines of the user keys (ed25519, ecdsa-p256, rsa-3072). */
  readonly publicKeys: readonly string[];
  /** A user certificate for alice@example.com signed by the CA key, as its .pub line. */
  readonly certificate: string;
  readonly caPublicKey: string;
  /** allowed_signers naming the ed25519 key and the CA (cert-authority). */
  readonly allowedSigners: string;
  /** `ssh-keygen -Y sign -n git` signatures over `message`, by each user key. */
  readonly signatures: readonly string[];
  readonly certificateSignature: string;
  readonly message: Buffer;
  /** A commit signed by the ed25519 key through `git commit -S` (gpg.format ssh), raw object. */
  readonly commit: { readonly id: string; readonly raw: Buffer };
  readonly cleanup: () => void;
}

function run(command: string, args: readonly string[], cwd: string, input?: Buffer): Buffer {
  return execFileSync(command, args, {
    cwd,
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });
}

function keygen(dir: string, name: string, type: string[]): string {
  run('ssh-keygen', ['-q', ...type, '-N', '', '-C', `${name}@example.com`, '-f', name], dir);
  return readFileSync(join(dir, `${name}.pub`), 'utf8').trim();
}

function sshSign(dir: string, key: string, file: string): string {
  run('ssh-keygen', ['-Y', 'sign', '-n', 'git', '-f', key, file], dir);
  return readFileSync(join(dir, `${file}.sig`), 'utf8');
}

export function makeSshMaterial(): SshMaterial {
  const dir = mkdtempSync(join(tmpdir(), 'sathos-fuzz-ssh-'));
  const publicKeys = [
    keygen(dir, 'ed', ['-t', 'ed25519']),
    keygen(dir, 'ec', ['-t', 'ecdsa', '-b', '256']),
    keygen(dir, 'rsa', ['-t', 'rsa', '-b', '3072']),
  ];
  const caPublicKey = keygen(dir, 'ca', ['-t', 'ed25519']);
  keygen(dir, 'alice', ['-t', 'ed25519']);
  run(
    'ssh-keygen',
    [
      '-q',
      '-s',
      'ca',
      '-I',
      'alice',
      '-n',
      'alice@example.com',
      '-V',
      '20200101:20990101',
      'alice.pub',
    ],
    dir,
  );
  const certificate = readFileSync(join(dir, 'alice-cert.pub'), 'utf8').trim();
  const message = Buffer.from('tree 0123\nauthor fuzz\n\nthe message the signature is over\n');
  const signatures = ['ed', 'ec', 'rsa'].map((key) => {
    writeFileSync(join(dir, `msg-${key}`), message);
    return sshSign(dir, key, `msg-${key}`);
  });
  writeFileSync(join(dir, 'msg-cert'), message);
  run(
    'ssh-keygen',
    ['-Y', 'sign', '-n', 'git', '-f', 'alice', '-f', 'alice-cert.pub', 'msg-cert'],
    dir,
  );
  const certificateSignature = readFileSync(join(dir, 'msg-cert.sig'), 'utf8');
  const allowedSigners =
    `ed@example.com namespaces="git" ${publicKeys[0] ?? ''}\n` +
    `*@example.com cert-authority,namespaces="git",valid-after="20200101" ${caPublicKey}\n`;
  return {
    dir,
    publicKeys,
    certificate,
    caPublicKey,
    allowedSigners,
    signatures,
    certificateSignature,
    message,
    commit: signedCommit(dir),
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A real commit signed over SSH by git itself with the ed25519 key in `dir`. */
function signedCommit(dir: string): { id: string; raw: Buffer } {
  const repo = join(dir, 'repo');
  run('git', ['init', '-q', repo], dir);
  const git = (...args: string[]): Buffer => run('git', args, repo);
  git('config', 'user.name', 'Ed Fuzz');
  git('config', 'user.email', 'ed@example.com');
  git('config', 'gpg.format', 'ssh');
  git('config', 'user.signingkey', join(dir, 'ed'));
  writeFileSync(join(repo, 'a.txt'), 'hello\n');
  git('add', 'a.txt');
  git('commit', '-q', '-S', '-m', 'signed for the fuzzer');
  const id = git('rev-parse', 'HEAD').toString().trim();
  return { id, raw: git('cat-file', 'commit', id) };
}

/** An openpgp.js key for `email`, and a detached signature over `message` made at `date`. */
export async function makePgpMaterial(
  email: string,
): Promise<{ armoredKey: string; privateKeyArmored: string }> {
  const { publicKey, privateKey } = await generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name: 'Fuzz', email }],
    date: new Date('2025-01-01T00:00:00Z'),
    format: 'armored',
  });
  return { armoredKey: publicKey, privateKeyArmored: privateKey };
}

/** An openpgp.js detached signature over `payload`, made at `date`. */
export async function pgpDetachedSignature(
  privateKeyArmored: string,
  payload: Buffer,
  date: Date,
): Promise<string> {
  const message = await createMessage({ binary: new Uint8Array(payload) });
  const signingKeys = await readPrivateKey({ armoredKey: privateKeyArmored });
  // openpgp's declared return type names stream types this project does not load: check it here.
  const signature: unknown = await sign({ message, signingKeys, detached: true, date });
  if (typeof signature !== 'string') throw new Error('openpgp.js returned no armored signature');
  return signature;
}

/** A policy that exercises every section the parser reads, with real keys in its commit signers. */
export function policyText(allowedSigners: string, pgpKeys: string): string {
  const block = (text: string): string =>
    text
      .trim()
      .split('\n')
      .map((l) => `        ${l}`)
      .join('\n');
  return `apiVersion: sathos.dev/v1
kind: Policy
metadata: { name: fuzz }
stages: [source, build, test, deploy]
identities:
  source: [{ keyId: 'sha256:${'4'.repeat(64)}' }]
  build: &ci
    - issuer: https://token.actions.githubusercontent.com
      subjectRegexp: "https://github\\\\.com/acme/app/\\\\.github/workflows/release\\\\.yml@refs/heads/main"
      runnerEnvironment: github-hosted
  test: *ci
  deploy: *ci
rules:
  - id: tests-passed
    stage: test
    expression: "evidence.testResult.result == 'PASSED'"
    message: the test stage must pass
  - id: prod-only-main
    environments: [production]
    expression: "run.workflowRef.endsWith('@refs/heads/main')"
    message: production deploys come from main
environments:
  staging:
  production: { requiredStages: [source, build, test] }
commits:
  signers:
    allowedSigners: |
${block(allowedSigners)}
    pgpKeys: |
${block(pgpKeys)}
    gitsign:
      - { issuer: 'https://github.com/login/oauth', subject: alice@example.com }
  protectedPaths:
    - paths: ['.github/workflows/**']
      allowedSigners: |
${block(allowedSigners)}
  signatureTime: trusted
anomaly:
  mode: block
  allowedHosts: [api.github.com, '*.example.com:443']
  durationRatio: 3
`;
}
