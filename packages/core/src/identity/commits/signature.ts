// One commit's signature judged against the signer sets it must satisfy: verified over the exact
// signed payload once, then the signer looked up in every required set (the policy's signers and the
// signers of each protected path set the commit touches).
import { SathosError } from '../../errors.js';
import { matchAllowedSigner } from './ssh/allowed-signers-match.js';
import type { SignerSet } from './signers.js';
import type { CommitSignatureFormat } from './types.js';
import type { GitCommit } from './git/commit-object.js';
import { X509_SIGNATURE_ARMOR } from './gitsign/armor.js';
import { PGP_SIGNATURE_ARMOR, verifyPgpSignature } from './openpgp/signature.js';
import { sshFingerprint } from './ssh/key.js';
import { parseSshSignature, SSH_SIGNATURE_ARMOR, verifySshSignatureOver } from './ssh/sshsig.js';
import { publicGoodTrust, type Trust } from '../trust/trusted-root.js';

export interface SignatureCheck {
  readonly signer: string;
  readonly key: string;
}

/** The signature format, told by its armor line. */
export function signatureFormat(signature: string | undefined): CommitSignatureFormat | 'unknown' {
  if (signature === undefined) return 'none';
  if (signature.startsWith(SSH_SIGNATURE_ARMOR)) return 'ssh';
  if (signature.startsWith(PGP_SIGNATURE_ARMOR)) return 'openpgp';
  if (signature.startsWith(X509_SIGNATURE_ARMOR)) return 'x509';
  return 'unknown';
}

function notAllowed(set: SignerSet, reason: string): SathosError {
  return new SathosError('UNTRUSTED_SIGNER', `not allowed by ${set.name}: ${reason}`);
}

function checkSsh(
  commit: GitCommit,
  signature: string,
  sets: readonly SignerSet[],
  keyTime: Date,
): SignatureCheck {
  const sig = parseSshSignature(signature);
  verifySshSignatureOver(sig, commit.payload);
  const principal = commit.committer.email;
  for (const set of sets) {
    const match = matchAllowedSigner(set.allowedSigners, sig, principal, keyTime);
    if (!match.allowed) throw notAllowed(set, match.reason);
  }
  return { signer: principal, key: sshFingerprint(sig.key.blob) };
}

async function checkPgp(
  commit: GitCommit,
  signature: string,
  sets: readonly SignerSet[],
  keyTime: Date,
): Promise<SignatureCheck> {
  let found: SignatureCheck | undefined;
  for (const set of sets) {
    try {
      found = await verifyPgpSignature({
        armoredSignature: signature,
        payload: commit.payload,
        keys: set.pgpKeys,
        time: commit.committer.time,
        validAt: keyTime,
        email: commit.committer.email,
      });
    } catch (error) {
      if (error instanceof SathosError && error.code === 'UNTRUSTED_SIGNER')
        throw notAllowed(set, error.message);
      throw error;
    }
  }
  if (found === undefined) throw new SathosError('UNTRUSTED_SIGNER', 'no signer set applies');
  return found;
}

/**
 * Verifies the commit's signature and that every set allows its signer; throws with the reason
 * otherwise. SSH and OpenPGP keys must be valid at `keyTime` (the trusted time or the committer time,
 * as the policy says); gitsign certificates at their verified (timestamp or Rekor) time. `trust`
 * anchors x509 (gitsign) signatures; the embedded public-good root by default.
 */
export async function checkCommitSignature(
  commit: GitCommit,
  sets: readonly SignerSet[],
  keyTime: Date,
  trust?: Trust,
): Promise<SignatureCheck> {
  const signature = commit.signature;
  switch (signatureFormat(signature)) {
    case 'none':
      throw new SathosError('SIGNATURE_INVALID', 'the commit is not signed');
    case 'ssh':
      return checkSsh(commit, signature ?? '', sets, keyTime);
    case 'openpgp':
      return checkPgp(commit, signature ?? '', sets, keyTime);
    case 'x509': {
      // CMS parsing (pkijs, asn1js) loads only for a commit that carries an x509 signature.
      const { checkGitsignSignature } = await import('./gitsign/gitsign.js');
      return checkGitsignSignature(commit, signature ?? '', sets, trust ?? publicGoodTrust());
    }
    case 'unknown':
      throw new SathosError(
        'SIGNATURE_INVALID',
        'the signature is in no format sathos knows (SSH, OpenPGP, x509)',
      );
  }
}
