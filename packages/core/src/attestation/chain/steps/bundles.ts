// Step 2 of chain verification (docs/spec.md §5): every bundle verified, each signature once.
import { sha256Hex } from '../../../digest.js';
import { SathosError } from '../../../errors.js';
import { bundleFromDocument } from '../../verify/bundle-input.js';
import type { Bundle } from '@sigstore/bundle';
import type { ChainLine } from '../chain.js';
import type { BundleChecker } from '../verify-chain.js';
import type { Checked } from './checked.js';

/**
 * What a bundle's verdict rests on: its version, the signed payload and its type, the signature and
 * the signer's certificate or key hint. Bundles that agree on these differ only in their witnesses
 * (log entries, timestamps): once one copy's witnesses verified, another copy proves nothing new.
 * Undefined for what is not a DSSE bundle (the verifier then says why).
 */
export function signatureKey(json: unknown): string | undefined {
  let bundle: Bundle;
  try {
    bundle = bundleFromDocument(json);
  } catch {
    return undefined;
  }
  const material = bundle.verificationMaterial.content as
    Bundle['verificationMaterial']['content'] | undefined;
  if (bundle.content.$case !== 'dsseEnvelope' || material === undefined) return undefined;
  const { payloadType, payload, signatures } = bundle.content.dsseEnvelope;
  const signer =
    material.$case === 'publicKey'
      ? Buffer.from(`hint:${material.publicKey.hint}`)
      : material.$case === 'certificate'
        ? material.certificate.rawBytes
        : material.x509CertificateChain.certificates[0]?.rawBytes;
  const sig = signatures[0]?.sig;
  if (signer === undefined || sig === undefined) return undefined;
  const parts = [bundle.mediaType, payloadType, ...[payload, sig, signer].map(sha256Hex)];
  return sha256Hex(JSON.stringify(parts));
}

/**
 * Step 2: verify every bundle; a chain holding one bad bundle is rejected whole. A bundle repeating
 * one verified before (joined chains repeat their common records) is not verified again: one valid
 * public-good bundle copied into a 256 MiB chain, each copy padded to differ, cost 25,000
 * verifications of 16 ms each.
 */
export function checkBundles(
  lines: readonly ChainLine[],
  checker: BundleChecker,
  source: string,
): Checked[] {
  const checked: Checked[] = [];
  const seen = new Map<string, Omit<Checked, 'where'>>();
  for (const { line, bundle } of lines) {
    const where = `${source} line ${line}`;
    // A message signature would make the bundle verifier ask for artifact bytes (a usage error).
    if (typeof bundle === 'object' && bundle !== null && 'messageSignature' in bundle) {
      throw new SathosError(
        'UNSUPPORTED_BUNDLE',
        'chain bundles must be DSSE in-toto statements, not message signatures; remove it from the chain',
        { where },
      );
    }
    const id = signatureKey(bundle);
    const known = id === undefined ? undefined : seen.get(id);
    if (known !== undefined) {
      checked.push({ ...known, where });
      continue;
    }
    const result = checker.verify(bundle, { where });
    if (result.statement === undefined || result.payloadSha256 === undefined) {
      throw new SathosError(
        'UNSUPPORTED_BUNDLE',
        'chain bundles must be DSSE in-toto statements; remove anything else from the chain',
        { where },
      );
    }
    const item = {
      mediaType: (bundle as { mediaType?: unknown }).mediaType,
      digest: result.payloadSha256,
      signer: result.signer,
      statement: result.statement,
    };
    if (id !== undefined) seen.set(id, item);
    checked.push({ ...item, where });
  }
  return checked;
}

/** The same payload may appear more than once when parallel chains are concatenated. */
export function dedupe(items: readonly Checked[]): Map<string, Checked> {
  const byDigest = new Map<string, Checked>();
  for (const item of items) if (!byDigest.has(item.digest)) byDigest.set(item.digest, item);
  return byDigest;
}
