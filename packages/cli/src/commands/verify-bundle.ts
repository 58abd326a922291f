// `sathos verify-bundle`: one Sigstore bundle file (JSON, or JSON Lines where every line must
// verify) checked against a trusted root, the signer identity, and the artifact (docs/cli.md).
import { basename } from 'node:path';
import type {
  BundleExpectation,
  BundleVerifier,
  Digest,
  ClaimRequirement,
  GithubSignerFlags,
  IdentityPolicy,
  StreamedArtifact,
  VerifiedBundle,
} from '@sathos/core';
import {
  GITHUB_ACTIONS_ISSUER,
  SathosError,
  createBundleVerifier,
  describeCause,
  describeSigner,
  formatDigest,
  githubClaimRequirements,
  parseBundleText,
  parseDigest,
  wholePatternProblem,
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

/** Who must have signed: a certificate identity policy and/or certificate claims. */
interface SignerConstraint {
  readonly identity?: IdentityPolicy;
  readonly claims: readonly ClaimRequirement[];
}

function usageError(message: string): SathosError {
  return new SathosError('USAGE', message);
}

function checkPattern(o: VerifyBundleOptions): void {
  if (o.certIdentity !== undefined && o.certIdentityRegexp !== undefined) {
    throw usageError('give --cert-identity or --cert-identity-regexp, not both');
  }
  if (o.certIdentityRegexp !== undefined) {
    const problem = wholePatternProblem(o.certIdentityRegexp);
    if (problem !== undefined) {
      throw usageError(`--cert-identity-regexp is not a valid RE2 pattern: ${problem}`);
    }
  }
}

/**
 * The signer the flags name. As in cosign, an identity needs its issuer and an issuer needs an
 * identity (or GitHub claims, which imply GitHub Actions' issuer); with no signer named at all the
 * command refuses unless --insecure-any-signer says any signer will do.
 */
function signerFromFlags(o: VerifyBundleOptions): SignerConstraint {
  checkPattern(o);
  const claims = githubClaimRequirements(o);
  const subject = o.certIdentity ?? o.certIdentityRegexp;
  if (subject !== undefined && o.certOidcIssuer === undefined) {
    throw usageError(
      `${o.certIdentity === undefined ? '--cert-identity-regexp' : '--cert-identity'} needs --cert-oidc-issuer: a subject means nothing without the issuer that vouched for it`,
    );
  }
  if (o.certOidcIssuer !== undefined && subject === undefined && claims.length === 0) {
    throw usageError(
      '--cert-oidc-issuer needs --cert-identity or --cert-identity-regexp (or a GitHub flag such as --repo): any account of that issuer could have signed',
    );
  }
  const keyed = (o.key ?? []).length > 0;
  // One signer kind: a key-signed bundle carries no certificate to match, a keyless one no key.
  if (keyed && (subject !== undefined || claims.length > 0)) {
    throw usageError(
      'give --key or a certificate signer (--cert-identity, --cert-identity-regexp, GitHub flags), not both: a bundle is signed by one kind; verify each kind with its own run',
    );
  }
  const named = subject !== undefined || claims.length > 0 || keyed;
  if (named && o.insecureAnySigner === true) {
    throw usageError('--insecure-any-signer contradicts the signer flags given; drop one');
  }
  if (!named && o.insecureAnySigner !== true) {
    throw usageError(
      'name the signer: --cert-identity (or --cert-identity-regexp) with --cert-oidc-issuer, GitHub flags (--owner, --repo, --signer-workflow…), or --key; --insecure-any-signer accepts anyone',
    );
  }
  if (subject === undefined && claims.length === 0) return { claims };
  const identity: IdentityPolicy = {
    ...(o.certIdentity !== undefined && { subject: o.certIdentity }),
    ...(o.certIdentityRegexp !== undefined && { subjectRegexp: o.certIdentityRegexp }),
    issuer: o.certOidcIssuer ?? GITHUB_ACTIONS_ISSUER,
  };
  return { identity, claims };
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

export async function verifyBundleCommand(o: VerifyBundleOptions): Promise<Outcome> {
  let checked = 0;
  let file: OpenArtifact | undefined;
  try {
    const { identity, claims } = signerFromFlags(o);
    const artifactFlag = artifactFromFlags(o);
    // Opened before the bundle is judged: an unusable artifact path is a usage error regardless.
    const source =
      'path' in artifactFlag
        ? { path: artifactFlag.path, file: await openArtifact(artifactFlag.path) }
        : artifactFlag;
    if ('file' in source) file = source.file;
    const [trust, keys, bundleBytes] = await Promise.all([
      readTrust(o.trustedRoot),
      readKeys(o.key),
      readInput(o.bundle, 'bundle'),
    ]);
    const documents = parseBundleText(bundleBytes.toString('utf8'), o.bundle);
    // Air-gapped key signing leaves no log entry: allowed only when the user named the key and
    // no trusted root demands a log; present entries are still checked against public-good.
    const verifier = createBundleVerifier(trust, {
      keys,
      allowUnloggedKeySignatures: keys.length > 0 && o.trustedRoot === undefined,
    });
    const artifact =
      'file' in source
        ? await streamedEvidence(
            source.file,
            source.path,
            verifier,
            documents.map(({ json }) => json),
          )
        : source;
    const verified = documents.map(({ json, where }) => {
      const result = verifier.verify(json, {
        where,
        artifact,
        ...(identity && { identity }),
        ...(claims.length > 0 && { claims }),
        ...(o.predicateType !== undefined && { predicateType: o.predicateType }),
      });
      // --key alone names who is trusted: a certificate anyone can obtain is not that signer.
      if (identity === undefined && keys.length > 0 && result.signer.kind !== 'key') {
        throw new SathosError(
          'UNTRUSTED_SIGNER',
          `signed by ${describeSigner(result.signer)}, not by a --key key; name a keyless signer with --cert-identity and --cert-oidc-issuer`,
          { where },
        );
      }
      checked += 1;
      return result;
    });
    const signers = [...new Set(verified.map((v) => describeSigner(v.signer)))];
    const label = artifactLabel(o, artifact);
    const reason = `${verified.length} bundle${verified.length === 1 ? '' : 's'} verified for ${label}, signed by ${signers.join('; ')}`;
    const lines = [reason, `trusted root: ${trust.description}`];
    if (o.insecureAnySigner === true) {
      lines.push(
        'warning: --insecure-any-signer: any signer the trusted root certifies was accepted',
      );
    }
    return success(
      'verified',
      reason,
      {
        trustedRoot: trust.description,
        artifact: label,
        ...(o.insecureAnySigner === true && { anySigner: true }),
        bundles: verified.map(describeBundle),
      },
      lines,
    );
  } catch (error) {
    return failure('verified', error, { bundlesVerified: checked });
  } finally {
    await file?.close();
  }
}
