// How the command line signs a step's records (sathos attest, sathos verify-commits --chain): a PEM
// private key, or keyless — an OIDC token from a file buys a Fulcio certificate. Either way the
// records' actor claims are known before signing, and a keyless certificate naming anyone else is
// refused before anything is appended (the record would claim a signer that did not sign it).
import { createPublicKey } from 'node:crypto';
import type { StepSigner, TrustedPublicKey } from '@sathos/core';
import {
  SathosError,
  certifiedIdentity,
  keySigner,
  keylessSigner,
  parsePublicKeys,
  signStatement,
} from '@sathos/core';
import { readBoundedFile } from '@sathos/node';

export const PUBLIC_GOOD = {
  fulcio: 'https://fulcio.sigstore.dev',
  rekor: 'https://rekor.sigstore.dev',
} as const;

const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
const MAX_SECRET_BYTES = 64 * 1024;

export interface SigningFlags {
  /** A PEM private key: key signing. */
  readonly key?: string;
  readonly keyless?: boolean;
  readonly fulcioUrl?: string;
  readonly rekorUrl?: string;
  readonly tsaUrl?: string;
  readonly oidcTokenFile?: string;
}

export interface CliSigner extends StepSigner {
  /** One line naming who signs, for the output. */
  readonly description: string;
  /** The public keys of a key signer: its own earlier records verify with them. */
  readonly publicKeys: readonly TrustedPublicKey[];
}

async function secret(path: string, what: string): Promise<string> {
  const bytes = await readBoundedFile(path, {
    what,
    maxBytes: MAX_SECRET_BYTES,
    tooLarge: 'KEY_UNREADABLE',
  });
  return bytes.toString('utf8');
}

async function keyFileSigner(path: string): Promise<CliSigner> {
  const pem = await secret(path, 'private key');
  const signer = keySigner({ privateKeyPem: pem });
  const publicPem = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
  return {
    sign: (statement) => signStatement(statement, signer),
    actor: { kind: 'key', keyId: signer.keyId },
    description: `key ${signer.keyId}`,
    publicKeys: parsePublicKeys(publicPem, path),
  };
}

/** The claims of a JWT, read without verifying it: Fulcio verifies it; we only predict its SAN. */
function tokenClaims(token: string, where: string): Record<string, unknown> {
  try {
    const payload = token.split('.')[1] ?? '';
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (typeof claims === 'object' && claims !== null && !Array.isArray(claims)) {
      return claims as Record<string, unknown>;
    }
  } catch {
    // Falls through to the error below.
  }
  throw new SathosError('USAGE', 'the OIDC token is not a JWT', { where });
}

/** The identity Fulcio certifies for a token: GitHub's workflow URI, a verified email, or `sub`. */
function expectedIdentity(
  claims: Record<string, unknown>,
  where: string,
): { issuer: string; subject: string } {
  const { iss, job_workflow_ref: workflow, email, email_verified: verified, sub } = claims;
  if (typeof iss !== 'string') {
    throw new SathosError('USAGE', 'the OIDC token has no issuer', { where });
  }
  if (iss === GITHUB_ACTIONS_ISSUER && typeof workflow === 'string') {
    return { issuer: iss, subject: `https://github.com/${workflow}` };
  }
  if (typeof email === 'string' && verified === true) return { issuer: iss, subject: email };
  if (typeof sub === 'string') return { issuer: iss, subject: sub };
  throw new SathosError('USAGE', 'the OIDC token names no identity (sub or email)', { where });
}

async function keylessFlagsSigner(o: SigningFlags): Promise<CliSigner> {
  if (o.oidcTokenFile === undefined) {
    throw new SathosError(
      'USAGE',
      '--keyless needs --oidc-token-file <file> holding the OIDC token',
    );
  }
  const token = (await secret(o.oidcTokenFile, 'OIDC token')).trim();
  const expected = expectedIdentity(tokenClaims(token, o.oidcTokenFile), o.oidcTokenFile);
  const fulcioURL = o.fulcioUrl ?? PUBLIC_GOOD.fulcio;
  const rekorURL = o.rekorUrl ?? (o.tsaUrl === undefined ? PUBLIC_GOOD.rekor : undefined);
  const signer = keylessSigner({
    identityToken: token,
    fulcioURL,
    ...(rekorURL === undefined ? {} : { rekorURL }),
    ...(o.tsaUrl === undefined ? {} : { tsaURL: o.tsaUrl }),
  });
  return {
    sign: async (statement) => {
      const bundle = await signStatement(statement, signer);
      const got = certifiedIdentity(bundle);
      if (got.issuer !== expected.issuer || got.subject !== expected.subject) {
        throw new SathosError(
          'SIGNING_FAILED',
          `Fulcio certified ${got.subject ?? '?'} (issuer ${got.issuer ?? '?'}), not the token's ${expected.subject} (issuer ${expected.issuer}); check --fulcio-url`,
        );
      }
      return bundle;
    },
    actor: { kind: 'certificate', issuer: expected.issuer, subject: expected.subject },
    description: `keyless: ${expected.subject} (issuer ${expected.issuer})`,
    publicKeys: [],
  };
}

/** The signer the flags name: exactly one of --key and --keyless. */
export async function signerFromFlags(o: SigningFlags): Promise<CliSigner> {
  if (o.key !== undefined && o.keyless === true) {
    throw new SathosError('USAGE', '--key and --keyless are two ways to sign; give one');
  }
  if (o.key !== undefined) {
    if (o.fulcioUrl ?? o.rekorUrl ?? o.tsaUrl ?? o.oidcTokenFile) {
      throw new SathosError(
        'USAGE',
        '--fulcio-url, --rekor-url, --tsa-url and --oidc-token-file go with --keyless',
      );
    }
    return keyFileSigner(o.key);
  }
  if (o.keyless === true) return keylessFlagsSigner(o);
  throw new SathosError(
    'USAGE',
    'say how to sign: --key <private.pem> or --keyless --oidc-token-file <file>',
  );
}
