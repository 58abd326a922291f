// Who may sign commits: the policy file's `commits:` section, or — for teams without a policy
// repository — an allowed_signers file and/or a file of OpenPGP keys (signers only: no protected
// paths, merge commits and web-flow commits refused). And the trust roots gitsign commits need.
import {
  SathosError,
  publicGoodTrust,
  type CommitPolicy,
  type Policy,
  type Trust,
} from '@sathos/core';
import {
  readInputFile,
  readPolicyInput,
  readTrustedRootInput,
  type GitHubApi,
} from '@sathos/github';
import type { SignerSource } from './inputs.js';

/** Signer files are keys, not archives: a larger file is refused before it is parsed. */
export const MAX_SIGNER_FILE_BYTES = 1024 * 1024;

export interface LoadedSigners {
  readonly policy: CommitPolicy;
  /** The whole policy, when the signers came from one: the source step is decided under it. */
  readonly document?: Policy;
  /** Where the signers came from, for the summary. */
  readonly source: string;
}

/** Reads the commit policy the inputs point at (a remote policy through the GitHub API). */
export async function loadSigners(source: SignerSource, api: GitHubApi): Promise<LoadedSigners> {
  if (source.kind === 'policy') {
    const policy = await readPolicyInput(source.path, api);
    if (policy.commits === undefined) {
      throw new SathosError(
        'POLICY_INVALID',
        'the policy has no commits: section, so nobody may sign commits; add one (docs/policy.md)',
        { where: policy.uri },
      );
    }
    return {
      policy: policy.commits,
      document: policy,
      source: `policy ${policy.uri} (sha256:${policy.digest})`,
    };
  }
  const allowedSigners =
    source.allowedSigners === undefined
      ? undefined
      : await readInputFile(source.allowedSigners, 'allowed-signers', MAX_SIGNER_FILE_BYTES);
  const pgpKeys =
    source.pgpKeys === undefined
      ? undefined
      : await readInputFile(source.pgpKeys, 'pgp-keys', MAX_SIGNER_FILE_BYTES);
  const names = [source.allowedSigners, source.pgpKeys].filter((n) => n !== undefined);
  return {
    policy: {
      signers: {
        ...(allowedSigners === undefined ? {} : { allowedSigners }),
        ...(pgpKeys === undefined ? {} : { pgpKeys }),
      },
      protectedPaths: [],
      allowMergeCommits: false,
      allowWebFlow: false,
    },
    source: names.join(' and '),
  };
}

/** The trust roots for gitsign commits: a trusted_root.json, an embedded root by name, or public-good. */
export async function loadTrust(path: string | undefined): Promise<Trust> {
  return path === undefined ? publicGoodTrust() : readTrustedRootInput(path);
}
