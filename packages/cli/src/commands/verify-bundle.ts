// `sathos verify-bundle`: one Sigstore bundle file (JSON, or JSON Lines where every line must
// verify) checked against a trusted root, the signer identity, and the artifact (docs/cli.md).
import { basename } from 'node:path';
import type {
  BundleExpectation,
  BundleVerifier,
  Digest,
  GithubSignerFlags,
  SignerPolicy,
  StreamedArtifact,
  TrustedPublicKey,
  VerifiedBundle,
} from '@sathos/core';
import {
  SathosError,
  describeCause,
  describeSigner,
  formatDigest,
  keyTrust,
  ghVerificationResult,
  parseBundleText,
  parseDigest,
  rootChoosingVerifier,
  signerPolicyFromFlags,
} from '@sathos/core';
import type { Outcome } from '../outcome.js';
import { failure, success } from '../outcome.js';
import type { OpenArtifact } from '../inputs.js';
import { openArtifact, readInput, readKeys, readTrust } from '../inputs.js';

export interface VerifyBundleOptions extends GithubSignerFlags {
  readonly bundle: string;
  readonly artifact?: string;
  readonly digest?: string;
  readonly trustedRoot?: string;
  readonly key?: readonly string[];
  readonly certIdentity?: string;
  readonly certIdentityRegexp?: string;
  readonly certOidcIssuer?: string;
  readonly predicateType?: string;
  /** Accept any signer the trusted root certifies: the explicit opt-out of naming one. */
  readonly insecureAnySigner?: boolean;
}

function usageError(message: string): SathosError {
  return new SathosError('USAGE', message);
}

/** The artifact the flags name: a file to stream, or a digest given. */
type ArtifactFlag = { readonly path: string } | { readonly digests: readonly Digest[] };

function artifactFromFlags(o: VerifyBundleOptions): ArtifactFlag {
  if ((o.artifact === undefined) === (o.digest === undefined)) {
    throw usageError('give exactly one of --artifact <path> or --digest <alg>:<hex>');
  }
  if (o.artifact !== undefined) return { path: o.artifact };
  const digest = parseDigest(o.digest ?? '');
  if (digest === undefined) {
    throw usageError('--digest must be <alg>:<hex> with alg sha256, sha384, sha512 or sha1');
  }
  return { digests: [digest] };
}

/**
 * The artifact evidence for these bundles, read once as a stream from the descriptor opened: its
 * digests for DSSE bundles, and message signatures checked in the same pass, so memory stays flat
 * whatever its size.
 */
async function streamedEvidence(
  file: OpenArtifact,
  path: string,
  verifier: BundleVerifier,
  documents: readonly unknown[],
): Promise<StreamedArtifact> {
  try {
    return await verifier.streamArtifact(file.chunks(), documents);
  } catch (cause) {
    throw new SathosError(
      'FILE_UNREADABLE',
      `cannot read the artifact: ${describeCause(cause)}; check the path`,
      { where: path, cause },
    );
  }
}

function describeBundle(v: VerifiedBundle): Record<string, unknown> {
  return {
    where: v.where,
    mediaType: v.mediaType,
    signer: v.signer,
    ...(v.dsse && { payloadType: v.dsse.payloadType, payloadSha256: v.payloadSha256 }),
    ...(v.predicateType !== undefined && { predicateType: v.predicateType }),
    ...(v.subjects && { subjects: v.subjects.map(({ name, digest }) => ({ name, digest })) }),
    verifiedTimes: v.verifiedTimes.map((t) => t.toISOString()),
  };
}

function artifactLabel(o: VerifyBundleOptions, artifact: BundleExpectation['artifact']): string {
  const digests = artifact !== undefined && 'digests' in artifact ? artifact.digests : [];
  if (o.artifact === undefined) return digests.map(formatDigest).join(', ');
  const sha256 = digests.find((d) => d.algorithm === 'sha256');
  return `${basename(o.artifact)}${sha256 === undefined ? '' : ` (sha256:${sha256.hex})`}`;
}

function expectationFor(
  policy: SignerPolicy,
  where: string,
  artifact: NonNullable<BundleExpectation['artifact']>,
): BundleExpectation {
  return {
    where,
    artifact,
    ...(policy.identity && { identity: policy.identity }),
    ...(policy.claims.length > 0 && { claims: policy.claims }),
    ...(policy.predicateType !== undefined && { predicateType: policy.predicateType }),
  };
}

/** --key alone names who is trusted: a certificate anyone can obtain is not that signer. */
function assertKeySigner(
  v: VerifiedBundle,
  policy: SignerPolicy,
  keys: readonly TrustedPublicKey[],
): void {
  if (policy.identity === undefined && keys.length > 0 && v.signer.kind !== 'key') {
    throw new SathosError(
      'UNTRUSTED_SIGNER',
      `signed by ${describeSigner(v.signer)}, not by a --key key; name a keyless signer with --cert-identity and --cert-oidc-issuer`,
      v.where === undefined ? {} : { where: v.where },
    );
  }
}

function verifiedOutcome(
  o: VerifyBundleOptions,
  verified: readonly VerifiedBundle[],
  label: string,
  roots: readonly string[],
): Outcome {
  const signers = [...new Set(verified.map((v) => describeSigner(v.signer)))];
  const reason = `${verified.length} bundle${verified.length === 1 ? '' : 's'} verified for ${label}, signed by ${signers.join('; ')}`;
  const trustedRoot = roots.join('; ');
  const lines = [reason, `trusted root: ${trustedRoot}`];
  if (o.insecureAnySigner === true) {
    lines.push(
      'warning: --insecure-any-signer: any signer the trusted root certifies was accepted',
    );
  }
  return success(
    'verified',
    reason,
    {
      trustedRoot,
      artifact: label,
      ...(o.insecureAnySigner === true && { anySigner: true }),
      bundles: verified.map(describeBundle),
      // What `gh attestation verify --format json` prints, one entry a bundle.
      verificationResults: verified.map(ghVerificationResult),
    },
    lines,
  );
}

export async function verifyBundleCommand(o: VerifyBundleOptions): Promise<Outcome> {
  let checked = 0;
  let file: OpenArtifact | undefined;
  try {
    const policy = signerPolicyFromFlags({ ...o, keyed: (o.key ?? []).length > 0 });
    const artifactFlag = artifactFromFlags(o);
    // Opened before the bundle is judged: an unusable artifact path is a usage error regardless.
    const source =
      'path' in artifactFlag
        ? { path: artifactFlag.path, file: await openArtifact(artifactFlag.path) }
        : artifactFlag;
    if ('file' in source) file = source.file;
    const [named, keys, bundleBytes] = await Promise.all([
      o.trustedRoot === undefined ? undefined : readTrust(o.trustedRoot),
      readKeys(o.key),
      readInput(o.bundle, 'bundle'),
    ]);
    const documents = parseBundleText(bundleBytes.toString('utf8'), o.bundle);
    // Air-gapped key signing leaves no log entry: core's one rule (keyTrust) decides when that is
    // accepted; present entries are still checked against public-good.
    const verifiers = rootChoosingVerifier({
      ...(named !== undefined && { trust: named }),
      ...keyTrust({ keys, rootNamed: named !== undefined }),
    });
    const jsons = documents.map(({ json }) => json);
    const artifact =
      'file' in source
        ? await streamedEvidence(source.file, source.path, verifiers.verifierFor(jsons[0]), jsons)
        : source;
    const verified = documents.map(({ json, where }) => {
      const result = verifiers.verify(json, expectationFor(policy, where, artifact));
      assertKeySigner(result, policy, keys);
      checked += 1;
      return result;
    });
    return verifiedOutcome(o, verified, artifactLabel(o, artifact), verifiers.roots());
  } catch (error) {
    return failure('verified', error, { bundlesVerified: checked });
  } finally {
    await file?.close();
  }
}
