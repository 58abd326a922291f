// Verifies one Sigstore bundle completely: sigstore-js for the cryptography (certificate chain,
// SCTs, transparency log, timestamps, signature), then what sigstore-js leaves to its caller —
// the signer identity policy, and the binding of the signed content to the artifact.
import { createHash } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import type { X509Certificate } from '@sigstore/core';
import { Verifier, toSignedEntity, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import { SathosError, isSathosError, type ErrorCode } from '../../errors.js';
import { certificateSigner } from '../../identity/signers/certificate-claims.js';
import { claimProblems, type ClaimRequirement } from '../../identity/signers/github-claims.js';
import {
  isTimeBounded,
  keyValidAt,
  type TrustedPublicKey,
} from '../../identity/keys/public-key.js';
import {
  describeSigner,
  type IdentityPolicy,
  type SignerIdentity,
} from '../../identity/signers/signer-identity.js';
import type { Thresholds, Trust } from '../../identity/trust/trusted-root.js';
import { bundleFromDocument } from './bundle-input.js';
import type { Digest } from '../../digest.js';
import { IN_TOTO_PAYLOAD_TYPE } from '../record/statement.js';
import {
  fromSigstoreError,
  githubInstanceHint,
  withDetail,
} from '../../identity/trust/sigstore-errors.js';
import { checkIdentity } from './identity.js';
import { withKeyHash } from './signature.js';
import {
  MESSAGE_HASHES,
  isStreamedArtifact,
  leafKey,
  streamArtifact,
  streamedSignatureVerifies,
  type PendingSignature,
  type StreamedArtifact,
} from './streamed-artifact.js';

export type { StreamedArtifact } from './streamed-artifact.js';
import { payloadIs, readStatement, subjectsName, type StatementView } from './statement.js';
import {
  MINT,
  VerifiedBundle,
  signingTimes,
  signingTimestamps,
  type DsseContent,
} from './verified-bundle.js';

export { VerifiedBundle } from './verified-bundle.js';
export type { DsseContent, VerifiedTimestamp } from './verified-bundle.js';
import { checkSignedEntryTimestamps, describeTimestampFailure } from './timestamps.js';

/** What a bundle must prove beyond its own cryptography. */
export interface BundleExpectation {
  /**
   * The artifact the bundle must be about: its bytes, its digests, or (for artifacts of any size)
   * what `BundleVerifier.streamArtifact` proved reading it once.
   */
  readonly artifact?:
    { readonly bytes: Uint8Array } | { readonly digests: readonly Digest[] } | StreamedArtifact;
  readonly identity?: IdentityPolicy;
  /** Fulcio certificate claims the signer must carry (e.g. GitHub Actions source repository). */
  readonly claims?: readonly ClaimRequirement[];
  /** Required in-toto predicateType. */
  readonly predicateType?: string;
  /** Names the bundle in errors, e.g. `chain.jsonl line 3`. */
  readonly where?: string;
}

export interface BundleVerifierOptions {
  /** Public keys trusted for key-signed bundles (`publicKey.hint`). */
  readonly keys?: readonly TrustedPublicKey[];
  /**
   * Key-signed bundles may carry no log entry and no timestamp (air-gapped signing). Entries and
   * timestamps that are present are still verified; a key with a validity window still needs a time.
   */
  readonly allowUnloggedKeySignatures?: boolean;
}

export interface BundleVerifier {
  readonly trust: Trust;
  /** Verifies one parsed bundle JSON document; throws a SathosError on any failure. */
  verify(bundle: unknown, expectation?: BundleExpectation): VerifiedBundle;
  /**
   * Reads an artifact once for these bundle documents: its digests, and each message signature
   * among them checked under every key that could have made it, so `verify` needs no bytes.
   */
  streamArtifact(
    chunks: AsyncIterable<Uint8Array>,
    documents: readonly unknown[],
  ): Promise<StreamedArtifact>;
}

interface At {
  where?: string;
}

function fail(code: ErrorCode, message: string, at: At): never {
  throw new SathosError(code, message, at);
}

const NO_THRESHOLDS: Thresholds = { tlog: 0, ctlog: 0, timestamp: 0 };

function sigstoreVerifier(material: TrustMaterial, t: Thresholds): Verifier {
  return new Verifier(material, {
    tlogThreshold: t.tlog,
    ctlogThreshold: t.ctlog,
    timestampThreshold: t.timestamp,
  });
}

/** What a messageSignature bundle's signature is checked against: the bytes, or the stream's proof. */
type MessageArtifact =
  | { readonly bytes: Buffer }
  | { readonly streamed: StreamedArtifact; readonly hash: string; readonly signature: Buffer }
  | undefined;

function digestMismatch(at: At): never {
  fail(
    'SUBJECT_MISMATCH',
    'the bundle signs a different artifact: its message digest does not match',
    at,
  );
}

/** messageSignature bundles sign the artifact bytes: they are required and must match the digest. */
function messageArtifact(
  bundle: Bundle,
  artifact: BundleExpectation['artifact'],
  at: At,
): MessageArtifact {
  if (bundle.content.$case !== 'messageSignature') return undefined;
  const { messageDigest, signature } = bundle.content.messageSignature;
  const algorithm = MESSAGE_HASHES[messageDigest.algorithm];
  if (artifact !== undefined && 'bytes' in artifact) {
    const bytes = Buffer.from(artifact.bytes);
    if (algorithm === undefined) digestMismatch(at);
    if (!createHash(algorithm).update(bytes).digest().equals(messageDigest.digest)) {
      digestMismatch(at);
    }
    return { bytes };
  }
  if (artifact === undefined || !isStreamedArtifact(artifact)) {
    fail(
      'USAGE',
      'this bundle signs the artifact bytes directly (messageSignature); pass the artifact file, not only a digest',
      at,
    );
  }
  if (algorithm === undefined) digestMismatch(at);
  if (artifact.messageDigests.get(algorithm)?.equals(messageDigest.digest) !== true) {
    digestMismatch(at);
  }
  return { streamed: artifact, hash: algorithm, signature: Buffer.from(signature) };
}

/** The signed entity, its signature checked as the artifact evidence allows. */
function signedEntity(bundle: Bundle, message: MessageArtifact): SignedEntity {
  if (message === undefined || 'bytes' in message) {
    return withKeyHash(toSignedEntity(bundle, message?.bytes), bundle);
  }
  const entity = toSignedEntity(bundle);
  const content = entity.signature;
  return {
    ...entity,
    signature: {
      signature: content.signature,
      compareSignature: (s) => content.compareSignature(s),
      compareDigest: (d) => content.compareDigest(d),
      compareSignedDigest: (d) => content.compareSignedDigest(d),
      // Checked while the artifact streamed, under this very key: an unchecked key verifies nothing.
      verifySignature: (key) =>
        streamedSignatureVerifies(message.streamed, key, message.hash, message.signature),
    },
  };
}

function dsseContent(bundle: Bundle): DsseContent | undefined {
  if (bundle.content.$case !== 'dsseEnvelope') return undefined;
  const { payloadType, payload } = bundle.content.dsseEnvelope;
  return { payloadType, payload };
}

/** Binds the verified DSSE payload to the artifact and the expected predicate type. */
function checkContent(
  dsse: DsseContent,
  expectation: BundleExpectation,
  at: At,
): StatementView | undefined {
  const { artifact, predicateType } = expectation;
  if (dsse.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    if (predicateType !== undefined) {
      fail(
        'PREDICATE_MISMATCH',
        `expected predicate ${predicateType}, but the payload is ${dsse.payloadType}, not in-toto`,
        at,
      );
    }
    if (artifact !== undefined && !payloadIs(dsse.payload, artifact)) {
      fail('SUBJECT_MISMATCH', `the signed ${dsse.payloadType} payload is not the artifact`, at);
    }
    return undefined;
  }
  const view = readStatement(dsse.payload, at.where);
  if (artifact !== undefined && !subjectsName(view.subjects, artifact)) {
    fail(
      'SUBJECT_MISMATCH',
      'no statement subject has the artifact digest: this attestation is about something else',
      at,
    );
  }
  if (predicateType !== undefined && view.predicateType !== predicateType) {
    fail(
      'PREDICATE_MISMATCH',
      `expected predicate ${predicateType}, got ${view.predicateType}`,
      at,
    );
  }
  return view;
}

interface KeyedVerifier {
  readonly key: TrustedPublicKey;
  readonly verifier: Verifier;
}

/**
 * No given key verifies the signature. When the bundle's hint names none of them, the key is
 * simply not the signer's; when it names one, the signed content no longer matches its signature.
 */
function keyMismatch(
  hintMatched: boolean,
  hint: string,
  tried: readonly KeyedVerifier[],
  at: At,
): SathosError {
  const ids = tried.map(({ key }) => key.keyId).join(', ');
  if (hintMatched) {
    return new SathosError(
      'SIGNATURE_INVALID',
      `the signature does not verify under key ${ids}, which the bundle names as its signer: the signed content was altered`,
      at,
    );
  }
  const named = hint === '' ? '' : ` (the bundle names key ${JSON.stringify(hint.slice(0, 100))})`;
  return new SathosError(
    'UNTRUSTED_SIGNER',
    `the given key does not match the bundle's signature: it does not verify under ${ids}${named}; pass the key that signed it (--key)`,
    at,
  );
}

/** Throws IDENTITY_MISMATCH naming the signer and every claim it lacks. */
function checkClaims(
  signer: SignerIdentity,
  requirements: readonly ClaimRequirement[] | undefined,
  at: At,
): void {
  if (requirements === undefined || requirements.length === 0) return;
  const problems =
    signer.kind === 'certificate'
      ? claimProblems(signer.claims, requirements)
      : ['expected a certificate with GitHub Actions claims, but the bundle is signed by a key'];
  if (problems.length > 0) {
    fail('IDENTITY_MISMATCH', `signed by ${describeSigner(signer)}: ${problems.join('; ')}`, at);
  }
}

/** Builds the sigstore-js verifiers once per trust and key set; `verify` is then called per bundle. */
export function createBundleVerifier(
  trust: Trust,
  options: BundleVerifierOptions = {},
): BundleVerifier {
  const keyless = sigstoreVerifier(trust.material, trust.thresholds);
  const keyThresholds =
    options.allowUnloggedKeySignatures === true ? NO_THRESHOLDS : trust.thresholds;
  const keyed: KeyedVerifier[] = (options.keys ?? []).map((key) => ({
    key,
    verifier: sigstoreVerifier(
      {
        ...trust.material,
        publicKey: () => ({ publicKey: key.key, validFor: (d: Date) => keyValidAt(key, d) }),
      },
      keyThresholds,
    ),
  }));

  function verifyKeySigned(entity: SignedEntity, hint: string, at: At): SignerIdentity {
    if (keyed.length === 0) {
      fail(
        'UNTRUSTED_SIGNER',
        'the bundle is signed by a public key; pass that key (--key) to trust it',
        at,
      );
    }
    const hinted = keyed.filter(({ key }) => key.hints.includes(hint));
    const candidates = hinted.length > 0 ? hinted : keyed;
    const signing = candidates.filter(({ key }) => entity.signature.verifySignature(key.key));
    if (signing.length === 0) throw keyMismatch(hinted.length > 0, hint, candidates, at);
    let firstError: unknown;
    for (const { key, verifier } of signing) {
      if (isTimeBounded(key) && signingTimes(entity).length === 0) {
        firstError ??= new SathosError(
          'TIMESTAMP_INVALID',
          `key ${key.keyId} has a validity window, but the bundle carries no verified signing time`,
          at,
        );
        continue;
      }
      try {
        verifier.verify(entity);
        return { kind: 'key', keyId: key.keyId };
      } catch (error) {
        firstError ??= error;
      }
    }
    throw fromSigstoreError(firstError, at.where);
  }

  /** Adds which timestamp failed and why, and the GitHub root hint, to a verification failure. */
  function explain(error: unknown, entity: SignedEntity, where: string | undefined): SathosError {
    let failure = fromSigstoreError(error, where);
    if (failure.code === 'TIMESTAMP_INVALID' && !isSathosError(error)) {
      const detail = describeTimestampFailure(entity, trust.material);
      if (detail !== undefined) failure = withDetail(failure, `no trusted signing time: ${detail}`);
    }
    const hint =
      entity.key.$case === 'certificate' &&
      (failure.code === 'CERTIFICATE_INVALID' || failure.code === 'TIMESTAMP_INVALID')
        ? githubInstanceHint(entity.key.certificate, trust)
        : undefined;
    return hint === undefined ? failure : withDetail(failure, `${failure.message}; ${hint}`);
  }

  function verifyCertificateSigned(
    entity: SignedEntity,
    leaf: X509Certificate,
    at: At,
  ): SignerIdentity {
    // sigstore-js checks the chain once per verified time; with none it checks nothing and crashes.
    if (signingTimes(entity).length === 0) {
      fail(
        'TIMESTAMP_INVALID',
        'a certificate-signed bundle needs a verified signing time (a log entry with a SET, or an RFC 3161 timestamp)',
        at,
      );
    }
    keyless.verify(entity);
    return certificateSigner(leaf);
  }

  function verify(json: unknown, expectation: BundleExpectation = {}): VerifiedBundle {
    const at: At = expectation.where === undefined ? {} : { where: expectation.where };
    const bundle = bundleFromDocument(json, expectation.where);
    const message = messageArtifact(bundle, expectation.artifact, at);
    let signer: SignerIdentity;
    let entity: SignedEntity;
    try {
      entity = signedEntity(bundle, message);
    } catch (error) {
      throw fromSigstoreError(error, expectation.where);
    }
    try {
      checkSignedEntryTimestamps(entity, trust.material.tlogs, expectation.where);
      signer =
        entity.key.$case === 'public-key'
          ? verifyKeySigned(entity, entity.key.hint, at)
          : verifyCertificateSigned(entity, entity.key.certificate, at);
    } catch (error) {
      throw explain(error, entity, expectation.where);
    }
    checkIdentity(signer, expectation.identity, expectation.where);
    checkClaims(signer, expectation.claims, at);
    const dsse = dsseContent(bundle);
    const statementView = dsse && checkContent(dsse, expectation, at);
    if (dsse === undefined && expectation.predicateType !== undefined) {
      fail(
        'PREDICATE_MISMATCH',
        `expected predicate ${expectation.predicateType}, but the bundle signs a plain message`,
        at,
      );
    }
    return new VerifiedBundle(MINT, {
      signer,
      bundle,
      dsse,
      statementView,
      verifiedTimestamps: signingTimestamps(entity, trust.material),
      where: expectation.where,
    });
  }

  /** The message signatures among the documents, each with the keys that could have made it. */
  function pendingSignatures(documents: readonly unknown[]): PendingSignature[] {
    const pending: PendingSignature[] = [];
    for (const document of documents) {
      let bundle: Bundle;
      try {
        bundle = bundleFromDocument(document, undefined);
      } catch {
        continue; // `verify` rejects it, naming where it is.
      }
      if (bundle.content.$case !== 'messageSignature') continue;
      const { messageDigest, signature } = bundle.content.messageSignature;
      const hash = MESSAGE_HASHES[messageDigest.algorithm];
      if (hash === undefined) continue;
      // A key-signed bundle may be any given key's; a certificate-signed one only its leaf's.
      const leaf = leafKey(bundle);
      const keys =
        bundle.verificationMaterial.content.$case === 'publicKey'
          ? keyed.map(({ key }) => key.key)
          : leaf === undefined
            ? []
            : [leaf];
      pending.push({ hash, signature: Buffer.from(signature), keys });
    }
    return pending;
  }

  function streamArtifactFor(
    chunks: AsyncIterable<Uint8Array>,
    documents: readonly unknown[],
  ): Promise<StreamedArtifact> {
    return streamArtifact(chunks, pendingSignatures(documents));
  }

  return { trust, verify, streamArtifact: streamArtifactFor };
}
