// A CommitPolicy made ready to use once per verification: allowed_signers parsed, OpenPGP keys read,
// protected path globs compiled (picomatch; dot files included, case ignored so a differently cased
// path cannot slip past a pattern on a case-insensitive checkout).
import picomatch from 'picomatch';
import type { PublicKey } from 'openpgp';
import { SathosError } from '../../errors.js';
import { parseAllowedSigners, type AllowedSigner } from './ssh/allowed-signers.js';
import type { CommitPolicy, CommitSignerSet, SignatureTime } from './signer-rules.js';
import type { GitCommit } from './git/commit-object.js';
import type { IdentityRule } from '../signers/identity-rule.js';
import { readPgpKeys } from './openpgp/signature.js';

export interface SignerSet {
  /** Where the set is in the policy, for reasons: `commits.signers`, `commits.protectedPaths[0]`. */
  readonly name: string;
  readonly allowedSigners: readonly AllowedSigner[];
  readonly pgpKeys: readonly PublicKey[];
  readonly gitsign: readonly IdentityRule[];
}

export interface ProtectedSet extends SignerSet {
  readonly paths: readonly string[];
  readonly matches: (path: string) => boolean;
}

export interface CompiledCommitPolicy {
  readonly signers: SignerSet;
  readonly protectedPaths: readonly ProtectedSet[];
  readonly allowMergeCommits: boolean;
  readonly allowWebFlow: boolean;
  readonly signatureTime: SignatureTime;
  /** The time a commit's signing key must be valid at: the trusted `now`, or its committer time. */
  readonly keyTime: (commit: GitCommit) => Date;
}

async function compileSet(set: CommitSignerSet, name: string): Promise<SignerSet> {
  return {
    name,
    allowedSigners:
      set.allowedSigners === undefined
        ? []
        : parseAllowedSigners(set.allowedSigners, `${name}.allowedSigners`),
    pgpKeys: set.pgpKeys === undefined ? [] : await readPgpKeys(set.pgpKeys, `${name}.pgpKeys`),
    gitsign: set.gitsign ?? [],
  };
}

// The trusted time must be a real instant: an invalid Date would pass every validity comparison.
function trustedNow(now: Date): Date {
  if (Number.isNaN(now.getTime())) {
    throw new SathosError(
      'USAGE',
      'the verification time is not a valid date; pass the time the record is signed',
    );
  }
  return new Date(now.getTime());
}

/**
 * Parses every key and pattern of the policy; throws POLICY_INVALID naming the bad field. `now` is the
 * trusted verification time that key validity is judged at unless the policy says `committer`.
 */
export async function compileCommitPolicy(
  policy: CommitPolicy,
  now: Date,
): Promise<CompiledCommitPolicy> {
  const signatureTime = policy.signatureTime ?? 'trusted';
  const trusted = trustedNow(now);
  const protectedPaths = await Promise.all(
    policy.protectedPaths.map(async (p, i) => {
      const name = `commits.protectedPaths[${i}]`;
      if (p.paths.length === 0 || p.paths.some((g) => g.trim() === '')) {
        throw new SathosError('POLICY_INVALID', 'paths must list at least one non-empty glob', {
          where: name,
        });
      }
      const matches = picomatch([...p.paths], { dot: true, nocase: true });
      return { ...(await compileSet(p, name)), paths: p.paths, matches };
    }),
  );
  return {
    signers: await compileSet(policy.signers, 'commits.signers'),
    protectedPaths,
    allowMergeCommits: policy.allowMergeCommits,
    allowWebFlow: policy.allowWebFlow,
    signatureTime,
    keyTime: signatureTime === 'committer' ? (commit) => commit.committer.time : () => trusted,
  };
}
