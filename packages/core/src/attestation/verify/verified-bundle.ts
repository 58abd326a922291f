// What a verified bundle is: only the bundle verifier mints one (verify-bundle.ts), and the times
// it verified are typed by who vouched for them — a transparency log or a timestamp authority.
import type { Bundle } from '@sigstore/bundle';
import type { SignedEntity, TrustMaterial } from '@sigstore/verify';
import { sha256Hex } from '../../digest.js';
import type { SignerIdentity } from '../../identity/signers/signer-identity.js';
import type { ResourceDescriptor, Statement } from '../record/statement.js';
import type { StatementView } from './statement.js';

/** A signing time sigstore-js verified, and who vouched for it. */
export interface VerifiedTimestamp {
  /** As sigstore-go and `gh attestation verify --format json` name them. */
  readonly type: 'Tlog' | 'TimestampAuthority';
  /** The log's base URL from the trusted root; empty for a timestamp authority (the root names none). */
  readonly uri: string;
  readonly timestamp: Date;
}

/** Times sigstore-js verifies and counts: TSA times, and integrated times backed by a SET. */
export function signingTimestamps(
  entity: SignedEntity,
  material?: Pick<TrustMaterial, 'tlogs'>,
): VerifiedTimestamp[] {
  return entity.timestamps.flatMap((t): VerifiedTimestamp[] => {
    if (t.$case === 'timestamp-authority') {
      return [{ type: 'TimestampAuthority', uri: '', timestamp: t.timestamp.signingTime }];
    }
    const seconds = Number(t.tlogEntry.integratedTime);
    if (!t.tlogEntry.inclusionPromise || !(seconds > 0)) return [];
    const logId = t.tlogEntry.logId.keyId;
    const log = material?.tlogs.find((l) => l.logID.equals(logId));
    return [{ type: 'Tlog', uri: log?.baseURL ?? '', timestamp: new Date(seconds * 1000) }];
  });
}

/** Just the times, for checks that need one. */
export function signingTimes(entity: SignedEntity): Date[] {
  return signingTimestamps(entity).map((t) => t.timestamp);
}

export interface DsseContent {
  readonly payloadType: string;
  readonly payload: Buffer;
}

/** Held by this folder only (core's index does not export it): the bundle verifier's stamp. */
export const MINT = Symbol('VerifiedBundle');

interface VerifiedBundleFields {
  readonly signer: SignerIdentity;
  readonly bundle: Bundle;
  readonly dsse: DsseContent | undefined;
  readonly statementView: StatementView | undefined;
  readonly verifiedTimestamps: readonly VerifiedTimestamp[];
  readonly where: string | undefined;
}

/** A bundle that passed every check. Only `BundleVerifier.verify` can make one. */
export class VerifiedBundle {
  readonly #verified = true;
  readonly signer: SignerIdentity;
  readonly mediaType: string;
  /** The parsed bundle (sigstore-js types). */
  readonly bundle: Bundle;
  readonly dsse?: DsseContent;
  /** SHA-256 hex of the decoded DSSE payload bytes: the chain's link digest. */
  readonly payloadSha256?: string;
  /** The in-toto Statement v1, when the payload is one. */
  readonly statement?: Statement;
  /** `_type` of the in-toto payload (v1 or v0.1). */
  readonly statementType?: string;
  readonly subjects?: readonly ResourceDescriptor[];
  readonly predicateType?: string;
  /** Verified signing times: log integrated times and RFC 3161 times. */
  readonly verifiedTimes: readonly Date[];
  /** The same times, each with who vouched for it. */
  readonly verifiedTimestamps: readonly VerifiedTimestamp[];
  readonly where?: string;

  constructor(mint: symbol, fields: VerifiedBundleFields) {
    if (mint !== MINT) throw new TypeError('a VerifiedBundle is made only by the bundle verifier');
    this.signer = fields.signer;
    this.mediaType = fields.bundle.mediaType;
    this.bundle = fields.bundle;
    this.verifiedTimestamps = fields.verifiedTimestamps;
    this.verifiedTimes = fields.verifiedTimestamps.map((t) => t.timestamp);
    if (fields.where !== undefined) this.where = fields.where;
    if (fields.dsse !== undefined) {
      this.dsse = fields.dsse;
      this.payloadSha256 = sha256Hex(fields.dsse.payload);
    }
    const view = fields.statementView;
    if (view !== undefined) {
      if (view.statement !== undefined) this.statement = view.statement;
      this.statementType = view.statementType;
      this.subjects = view.subjects;
      this.predicateType = view.predicateType;
    }
  }

  /** True only for objects the verifier made (not look-alikes). */
  static isVerified(value: unknown): value is VerifiedBundle {
    return value instanceof VerifiedBundle && value.#verified;
  }
}
