// Says which signing time failed and why. sigstore-js trusts a log entry's integrated time before
// it checks the signed entry timestamp (SET) that vouches for it, so an altered time surfaced as a
// certificate-chain error; and of several RFC 3161 timestamps it says only that one failed.
import { createPublicKey } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import { Verifier, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
import { SathosError, describeCause } from '../../errors.js';
import { verifiesWithKeyHash } from './signature.js';

type Tlog = TrustMaterial['tlogs'][number];
type Authority = TrustMaterial['timestampAuthorities'][number];
type TsaTimestamp = Extract<SignedEntity['timestamps'][number], { $case: 'timestamp-authority' }>;

function within(date: Date, validFor: { start: Date; end: Date }): boolean {
  return validFor.start <= date && date <= validFor.end;
}

/** The bytes a Rekor v1 SET signs: canonical JSON of body, integrated time, log id and index. */
function setPayload(entry: TransparencyLogEntry): Buffer {
  const payload = {
    body: entry.canonicalizedBody.toString('base64'),
    integratedTime: Number(entry.integratedTime),
    logID: entry.logId.keyId.toString('hex'),
    logIndex: Number(entry.logIndex),
  };
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/**
 * Rejects a log entry whose SET does not verify under the trusted log it names, before its
 * integrated time is used to judge the certificate. Entries from logs the root does not hold are
 * left to sigstore-js, which reports them as untrusted logs.
 */
export function checkSignedEntryTimestamps(
  entity: SignedEntity,
  tlogs: readonly Tlog[],
  where: string | undefined,
): void {
  entity.tlogEntries.forEach((entry, index) => {
    const promise = entry.inclusionPromise;
    if (promise === undefined) return;
    const time = new Date(Number(entry.integratedTime) * 1000);
    const logs = tlogs.filter((t) => t.logID.equals(entry.logId.keyId) && within(time, t.validFor));
    if (logs.length === 0) return;
    const data = setPayload(entry);
    if (logs.some((t) => verifiesWithKeyHash(data, t.publicKey, promise.signedEntryTimestamp))) {
      return;
    }
    const which = entity.tlogEntries.length > 1 ? ` of log entry ${index + 1}` : '';
    const stated = Number.isNaN(time.getTime()) ? entry.integratedTime : time.toISOString();
    throw new SathosError(
      'TLOG_INVALID',
      `the signed entry timestamp (Rekor SET)${which} does not verify under the transparency log's key: the entry's integrated time (${stated}), index or body was altered`,
      where === undefined ? {} : { where },
    );
  });
}

function isoOrUnknown(date: Date): string {
  return Number.isNaN(date.getTime()) ? 'an unreadable time' : date.toISOString();
}

/** Why one RFC 3161 timestamp fails against the root's timestamp authorities. */
function tsaProblem(t: TsaTimestamp, signature: Buffer, authorities: readonly Authority[]): string {
  const ts = t.timestamp;
  const issuers = authorities.filter((a) => {
    const leaf = a.certChain[0];
    return (
      leaf !== undefined &&
      leaf.serialNumber.equals(ts.signerSerialNumber) &&
      leaf.issuer.equals(ts.signerIssuer)
    );
  });
  if (issuers.length === 0) {
    return `no timestamp authority in the trusted root issued it (signer serial ${ts.signerSerialNumber.toString('hex')})`;
  }
  const current = issuers.filter((a) => within(ts.signingTime, a.validFor));
  if (current.length === 0) {
    return `its authority was not trusted at the time it states (${isoOrUnknown(ts.signingTime)})`;
  }
  const reasons = current.map((a) => {
    try {
      const der = a.certChain[0]?.publicKey ?? Buffer.alloc(0);
      ts.verify(signature, createPublicKey({ key: der, format: 'der', type: 'spki' }));
      return "its authority's certificate chain is not valid at the time it states";
    } catch (error) {
      return describeCause(error);
    }
  });
  return reasons.join('; ');
}

/** True when sigstore-js rejects this one timestamp at its timestamp step. */
function timestampFails(entity: SignedEntity, t: TsaTimestamp, material: TrustMaterial): boolean {
  const alone = new Verifier(material, {
    tlogThreshold: 0,
    ctlogThreshold: 0,
    timestampThreshold: 1,
  });
  try {
    alone.verify({ ...entity, timestamps: [t], tlogEntries: [] });
    return false;
  } catch (error) {
    return (error as { code?: unknown }).code === 'TIMESTAMP_ERROR';
  }
}

/**
 * After sigstore-js reported a timestamp failure: which RFC 3161 timestamp failed and why, e.g.
 * `timestamp 2 of 3 (RFC 3161, stating 2025-01-01T00:00:00.000Z): message imprint does not match`.
 */
export function describeTimestampFailure(
  entity: SignedEntity,
  material: TrustMaterial,
): string | undefined {
  const total = entity.timestamps.length;
  const problems: string[] = [];
  entity.timestamps.forEach((t, index) => {
    if (t.$case !== 'timestamp-authority' || !timestampFails(entity, t, material)) return;
    const why = tsaProblem(t, entity.signature.signature, material.timestampAuthorities);
    problems.push(
      `timestamp ${index + 1} of ${total} (RFC 3161, stating ${isoOrUnknown(t.timestamp.signingTime)}) could not be verified: ${why}`,
    );
  });
  return problems.length === 0 ? undefined : problems.join('; ');
}
