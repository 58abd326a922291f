// Turns one entry of test/fixtures/vectors/cases.json into the `sathos verify-bundle` options that
// test it: the bundle (extracted to a file when it is a JSONL line or a JSON pointer), the root,
// keys, identity policy, and the artifact or the digest the case names it by.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { VerifyBundleOptions } from '../../packages/cli/src/commands/verify-bundle.js';

export interface VectorCase {
  readonly id: string;
  readonly expect: 'ok' | 'fail';
  readonly bundle: {
    readonly file: string;
    readonly jsonl_line?: number;
    readonly pointer?: string;
  };
  readonly trustedRoot: string;
  readonly trustedRootName: string;
  readonly artifact?: string;
  readonly artifactSha256?: string;
  readonly key?: { readonly pem?: string; readonly npmKeys?: string; readonly hint?: string };
  readonly policy?: { readonly san?: string; readonly issuer?: string } | null;
  readonly thresholds?: {
    readonly tlogThreshold?: number;
    readonly ctlogThreshold?: number;
    readonly timestampThreshold?: number;
  };
  readonly describe: {
    readonly content?: string;
    readonly payloadType?: string;
    readonly subjects?: readonly { readonly digest?: Readonly<Record<string, string>> }[];
    readonly messageDigest?: { readonly hex: string };
  };
}

/** The committed vectors (SATHOS_VECTORS overrides); missing vectors are a test failure, never a skip. */
export function vectorsDir(): string {
  const dir = process.env.SATHOS_VECTORS ?? resolve(import.meta.dirname, '../fixtures/vectors');
  if (!existsSync(join(dir, 'cases.json'))) {
    throw new Error(
      `test vectors not found at ${dir}: set SATHOS_VECTORS to the vectors directory`,
    );
  }
  return dir;
}

export function loadCases(dir: string): VectorCase[] {
  return JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as VectorCase[];
}

function pointerGet(value: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], value);
}

/** The bundle as its own file: the case's file, or the one line / pointed-at value it names. */
export function bundleFile(dir: string, c: VectorCase, scratch: string, index: number): string {
  const path = join(dir, c.bundle.file);
  if (c.bundle.jsonl_line === undefined && c.bundle.pointer === undefined) return path;
  const text = readFileSync(path, 'utf8');
  const extracted =
    c.bundle.jsonl_line !== undefined
      ? (text.split('\n').filter((l) => l.trim() !== '')[c.bundle.jsonl_line] ?? '')
      : JSON.stringify(pointerGet(JSON.parse(text), c.bundle.pointer ?? ''));
  const out = join(scratch, `case-${index}.json`);
  writeFileSync(out, extracted);
  return out;
}

const CONFORMANCE_ARTIFACT = 'sigstore-conformance/test/assets/bundle-verify/a.txt';
const SUPPORTED = ['sha256', 'sha512', 'sha384', 'sha1'];
/** For cases with nothing to bind to (no content at all): a digest nothing has. */
const NOTHING = `sha256:${'0'.repeat(64)}`;

function payloadSha256(bundlePath: string): string | undefined {
  const json = JSON.parse(readFileSync(bundlePath, 'utf8')) as {
    dsseEnvelope?: { payload?: string };
  };
  const payload = json.dsseEnvelope?.payload;
  return payload === undefined
    ? undefined
    : createHash('sha256').update(Buffer.from(payload, 'base64')).digest('hex');
}

/** How the case names its artifact when the file itself was not copied. */
function artifactOption(
  dir: string,
  c: VectorCase,
  bundlePath: string,
): Pick<VerifyBundleOptions, 'artifact' | 'digest'> {
  if (c.artifact !== undefined) return { artifact: join(dir, c.artifact) };
  const d = c.describe;
  if (d.content === 'messageSignature') {
    const path = join(dir, CONFORMANCE_ARTIFACT);
    const sha = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (sha !== d.messageDigest?.hex)
      throw new Error(`${c.id}: no artifact file for message digest`);
    return { artifact: path };
  }
  for (const subject of d.subjects ?? []) {
    const alg = SUPPORTED.find((a) => subject.digest?.[a] !== undefined);
    if (alg !== undefined) return { digest: `${alg}:${subject.digest?.[alg] ?? ''}` };
  }
  if (d.payloadType !== undefined && d.payloadType !== 'application/vnd.in-toto+json') {
    const sha = payloadSha256(bundlePath);
    if (sha !== undefined) return { digest: `sha256:${sha}` };
  }
  return { digest: NOTHING };
}

/** The verify-bundle options that test this case. */
export function caseOptions(
  dir: string,
  c: VectorCase,
  scratch: string,
  index: number,
): VerifyBundleOptions {
  const bundle = bundleFile(dir, c, scratch, index);
  const keyFile = c.key?.pem ?? c.key?.npmKeys;
  // Keyless public-good cases use the embedded root, which proves it is the public-good root.
  const embedded = c.trustedRootName === 'public-good' && keyFile === undefined;
  return {
    bundle,
    ...artifactOption(dir, c, bundle),
    ...(embedded ? {} : { trustedRoot: join(dir, c.trustedRoot) }),
    ...(keyFile !== undefined && { key: [join(dir, keyFile)] }),
    ...(c.policy?.san !== undefined && { certIdentity: c.policy.san }),
    // GitHub's release attester certificates name no OIDC issuer: the empty issuer says so.
    ...(c.policy?.san !== undefined && { certOidcIssuer: c.policy.issuer ?? '' }),
    // A case that names no signer says only that the bundle must verify: opt out explicitly.
    ...(c.policy?.san === undefined && keyFile === undefined && { insecureAnySigner: true }),
  };
}
