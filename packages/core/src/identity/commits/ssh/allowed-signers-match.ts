// Is this SSH signer allowed? The rules of `ssh-keygen -Y verify -I <principal> -n git`, judged at the
// commit's time: an entry for the key (or, for a certificate, for its CA with cert-authority) whose
// principals match, whose namespaces include git, and whose validity window holds the time.
import type { AllowedSigner } from './allowed-signers.js';
import { matchPatternList } from './allowed-signers.js';
import { SSH_FOREVER, SSH_USER_CERT, type SshCertificate } from './certificate.js';
import { GIT_NAMESPACE, type SshSignature } from './sshsig.js';

export type SignerMatch =
  | { readonly allowed: true; readonly entry: AllowedSigner }
  | { readonly allowed: false; readonly reason: string };

const iso = (d: Date): string => d.toISOString().replace('.000Z', 'Z');

/** Why an entry does not allow this principal at this time, or undefined when it does. */
function entryProblem(entry: AllowedSigner, principal: string, time: Date): string | undefined {
  const at = `allowed_signers line ${entry.line}`;
  if (!matchPatternList(principal, entry.principals)) {
    return `${at} lists the key for "${entry.principals}", not for the committer ${principal}`;
  }
  if (entry.namespaces !== undefined && !matchPatternList(GIT_NAMESPACE, entry.namespaces)) {
    return `${at} allows namespaces "${entry.namespaces}", which exclude git`;
  }
  if (entry.validAfter !== undefined && time < entry.validAfter) {
    return `${at} is valid after ${iso(entry.validAfter)}; the commit is dated ${iso(time)}`;
  }
  if (entry.validBefore !== undefined && time > entry.validBefore) {
    return `${at} is valid before ${iso(entry.validBefore)}; the commit is dated ${iso(time)}`;
  }
  return undefined;
}

function certificateProblem(
  cert: SshCertificate,
  principal: string,
  time: Date,
): string | undefined {
  const seconds = BigInt(Math.floor(time.getTime() / 1000));
  if (cert.certType !== SSH_USER_CERT) return 'the SSH certificate is not a user certificate';
  if (cert.criticalOptions.length > 0) {
    return `the SSH certificate carries critical options (${cert.criticalOptions.join(', ')}) sathos does not honour`;
  }
  if (!cert.principals.includes(principal)) {
    return `the SSH certificate is for ${cert.principals.join(', ') || 'no principal'}, not the committer ${principal}`;
  }
  if (seconds < cert.validAfter) return 'the SSH certificate was not yet valid at the commit time';
  if (cert.validBefore !== SSH_FOREVER && seconds >= cert.validBefore) {
    return 'the SSH certificate had expired at the commit time';
  }
  return undefined;
}

/** Finds the entry that allows `sig` for `principal` at `time`, or says why none does. */
export function matchAllowedSigner(
  entries: readonly AllowedSigner[],
  sig: SshSignature,
  principal: string,
  time: Date,
): SignerMatch {
  const cert = sig.certificate;
  const candidates = entries.filter((e) =>
    cert === undefined
      ? !e.certAuthority && e.key.blob.equals(sig.key.blob)
      : e.certAuthority && e.key.blob.equals(cert.signatureKey),
  );
  if (candidates.length === 0) {
    return {
      allowed: false,
      reason:
        cert === undefined
          ? 'the signing key is not in allowed_signers'
          : 'the SSH certificate was issued by a CA that is not a cert-authority in allowed_signers',
    };
  }
  const certIssue = cert === undefined ? undefined : certificateProblem(cert, principal, time);
  if (certIssue !== undefined) return { allowed: false, reason: certIssue };
  let reason = '';
  for (const entry of candidates) {
    const problem = entryProblem(entry, principal, time);
    if (problem === undefined) return { allowed: true, entry };
    reason ||= problem;
  }
  return { allowed: false, reason };
}
