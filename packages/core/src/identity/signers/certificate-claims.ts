// Reads who a Fulcio certificate names: the subject alternative name and the OIDC claims Fulcio
// copied into extensions. Only called on a certificate sigstore-js has already verified.
// OIDs: https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md
import type { X509Certificate } from '@sigstore/core';
import { SathosError } from '../../errors.js';
import type { CertificateClaims, CertificateSigner } from './signer-identity.js';

const FULCIO_OID = '1.3.6.1.4.1.57264.1';
const ISSUER_V1_OID = `${FULCIO_OID}.1`;
const USERNAME_OTHER_NAME_OID = `${FULCIO_OID}.7`;

/** Extensions 1.8 onward hold a DER-encoded UTF8String; the claim each one carries. */
const DER_CLAIM_OIDS: Readonly<Record<string, keyof CertificateClaims>> = {
  [`${FULCIO_OID}.8`]: 'issuer',
  [`${FULCIO_OID}.9`]: 'buildSignerURI',
  [`${FULCIO_OID}.10`]: 'buildSignerDigest',
  [`${FULCIO_OID}.11`]: 'runnerEnvironment',
  [`${FULCIO_OID}.12`]: 'sourceRepositoryURI',
  [`${FULCIO_OID}.13`]: 'sourceRepositoryDigest',
  [`${FULCIO_OID}.14`]: 'sourceRepositoryRef',
  [`${FULCIO_OID}.15`]: 'sourceRepositoryIdentifier',
  [`${FULCIO_OID}.16`]: 'sourceRepositoryOwnerURI',
  [`${FULCIO_OID}.17`]: 'sourceRepositoryOwnerIdentifier',
  [`${FULCIO_OID}.18`]: 'buildConfigURI',
  [`${FULCIO_OID}.19`]: 'buildConfigDigest',
  [`${FULCIO_OID}.20`]: 'buildTrigger',
  [`${FULCIO_OID}.21`]: 'runInvocationURI',
  [`${FULCIO_OID}.22`]: 'sourceRepositoryVisibilityAtSigning',
};

function derString(cert: X509Certificate, oid: string): string | undefined {
  try {
    return cert.extension(oid)?.valueObj.subs[0]?.value.toString('utf8');
  } catch {
    return undefined;
  }
}

/** Every Fulcio claim present in the certificate (issuer from v2, else the deprecated v1). */
export function certificateClaims(cert: X509Certificate): CertificateClaims {
  const claims: Record<string, string> = {};
  for (const [oid, name] of Object.entries(DER_CLAIM_OIDS)) {
    const value = derString(cert, oid);
    if (value !== undefined) claims[name] = value;
  }
  if (claims.issuer === undefined) {
    const v1 = cert.extension(ISSUER_V1_OID)?.value.toString('ascii');
    if (v1 !== undefined) claims.issuer = v1;
  }
  return claims;
}

/** The certificate's identity: URI or email SAN, else Fulcio's username other-name. */
export function subjectAlternativeName(cert: X509Certificate): string | undefined {
  try {
    const san = cert.extSubjectAltName;
    return san?.uri ?? san?.rfc822Name ?? san?.otherName(USERNAME_OTHER_NAME_OID);
  } catch {
    return undefined;
  }
}

/** The signer a verified certificate names; an absent SAN or issuer is the empty string. */
export function certificateSigner(cert: X509Certificate): CertificateSigner {
  const claims = certificateClaims(cert);
  return {
    kind: 'certificate',
    subject: subjectAlternativeName(cert) ?? '',
    issuer: claims.issuer ?? '',
    claims,
  };
}

/** The OIDC issuer of GitHub Actions tokens: what GitHub signer flags imply unless told otherwise. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** One claim a Fulcio certificate must carry: which extension, what is expected, and the test. */
export interface ClaimRequirement {
  readonly claim: keyof CertificateClaims;
  /** For people: e.g. `source repository https://github.com/o/r`. */
  readonly expected: string;
  readonly holds: (value: string) => boolean;
}

/** The `gh attestation verify` signer flags, as given on the command line. */
export interface GithubSignerFlags {
  readonly owner?: string;
  readonly repo?: string;
  readonly signerWorkflow?: string;
  readonly signerRepo?: string;
  readonly signerDigest?: string;
  readonly sourceRef?: string;
  readonly sourceDigest?: string;
  readonly denySelfHostedRunners?: boolean;
}

const GITHUB = 'https://github.com';
const NAME = /^[A-Za-z0-9_.-]+$/;
const HEX = /^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$/;

function usage(message: string): SathosError {
  return new SathosError('USAGE', message);
}

function ownerOf(flag: string, value: string): string {
  if (!NAME.test(value)) throw usage(`${flag} must be a GitHub owner name, e.g. octo-org`);
  return value;
}

function repoOf(flag: string, value: string): string {
  const [owner = '', name = '', ...rest] = value.split('/');
  if (rest.length > 0 || !NAME.test(owner) || !NAME.test(name)) {
    throw usage(`${flag} must be <owner>/<repo>, e.g. octo-org/app`);
  }
  return value;
}

function hexOf(flag: string, value: string): string {
  if (!HEX.test(value)) throw usage(`${flag} must be a 40 or 64 hex digit digest`);
  return value.toLowerCase();
}

/** Equal ignoring case: GitHub owner and repository names are case-insensitive. */
function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** `[host/]owner/repo/path/to/workflow.yml` → the URI prefix before `@ref`, host defaulting to github.com. */
function workflowPrefix(value: string): { repoPart: string; path: string } {
  const bare = value.replace(/^https:\/\//, '');
  const parts = bare.split('/');
  const host = parts[0]?.includes('.') === true ? (parts.shift() ?? '') : 'github.com';
  const [owner = '', name = '', ...path] = parts;
  if (!NAME.test(owner) || !NAME.test(name) || path.length === 0 || path.includes('')) {
    throw usage(
      '--signer-workflow must be [host/]<owner>/<repo>/<path>, e.g. octo-org/app/.github/workflows/release.yml',
    );
  }
  return { repoPart: `https://${host}/${owner}/${name}/`, path: path.join('/') };
}

/** A build signer URI `https://host/owner/repo/path@ref` names this workflow, whatever the ref. */
function namesWorkflow(uri: string, want: { repoPart: string; path: string }): boolean {
  const head = uri.slice(0, want.repoPart.length);
  return (
    sameName(head, want.repoPart) && uri.slice(want.repoPart.length).startsWith(`${want.path}@`)
  );
}

/** Turns the GitHub signer flags into claim requirements; a malformed flag is a usage error. */
export function githubClaimRequirements(flags: GithubSignerFlags): ClaimRequirement[] {
  const out: ClaimRequirement[] = [];
  if (flags.owner !== undefined) {
    const uri = `${GITHUB}/${ownerOf('--owner', flags.owner)}`;
    out.push({
      claim: 'sourceRepositoryOwnerURI',
      expected: `source repository owner ${uri}`,
      holds: (v) => sameName(v, uri),
    });
  }
  if (flags.repo !== undefined) {
    const uri = `${GITHUB}/${repoOf('--repo', flags.repo)}`;
    out.push({
      claim: 'sourceRepositoryURI',
      expected: `source repository ${uri}`,
      holds: (v) => sameName(v, uri),
    });
  }
  if (flags.signerWorkflow !== undefined) {
    const want = workflowPrefix(flags.signerWorkflow);
    out.push({
      claim: 'buildSignerURI',
      expected: `signer workflow ${want.repoPart}${want.path}`,
      holds: (v) => namesWorkflow(v, want),
    });
  }
  if (flags.signerRepo !== undefined) {
    const prefix = `${GITHUB}/${repoOf('--signer-repo', flags.signerRepo)}/`;
    out.push({
      claim: 'buildSignerURI',
      expected: `a signer workflow in ${prefix.slice(0, -1)}`,
      holds: (v) => sameName(v.slice(0, prefix.length), prefix),
    });
  }
  if (flags.signerDigest !== undefined) {
    const hex = hexOf('--signer-digest', flags.signerDigest);
    out.push({
      claim: 'buildSignerDigest',
      expected: `signer digest ${hex}`,
      holds: (v) => v.toLowerCase() === hex,
    });
  }
  if (flags.sourceRef !== undefined) {
    const ref = flags.sourceRef;
    if (ref === '') throw usage('--source-ref must name a ref, e.g. refs/heads/main');
    out.push({
      claim: 'sourceRepositoryRef',
      expected: `source ref ${ref}`,
      holds: (v) => v === ref,
    });
  }
  if (flags.sourceDigest !== undefined) {
    const hex = hexOf('--source-digest', flags.sourceDigest);
    out.push({
      claim: 'sourceRepositoryDigest',
      expected: `source digest ${hex}`,
      holds: (v) => v.toLowerCase() === hex,
    });
  }
  if (flags.denySelfHostedRunners === true) {
    out.push({
      claim: 'runnerEnvironment',
      expected: 'a GitHub-hosted runner',
      holds: (v) => v === 'github-hosted',
    });
  }
  return out;
}

/** Every requirement the claims fail, each naming what was expected and what the certificate says. */
export function claimProblems(
  claims: CertificateClaims,
  requirements: readonly ClaimRequirement[],
): string[] {
  return requirements.flatMap(({ claim, expected, holds }) => {
    const value = claims[claim];
    if (value === undefined)
      return [`expected ${expected}, but the certificate has no ${claim} claim`];
    return holds(value)
      ? []
      : [`expected ${expected}, but the certificate says ${JSON.stringify(value.slice(0, 200))}`];
  });
}
