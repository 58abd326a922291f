// The action's inputs as one typed value. Only index.ts calls readRunInputs; run() never reads the
// environment for inputs.
import { SathosError, type CommitRange } from '@sathos/core';
import {
  assertExclusive,
  getChoiceInput,
  getInput,
  getListInput,
  type Env,
  type SigningChoice,
} from '@sathos/github';

/** Which commits: the event's, or what the inputs name. */
export type CommitSelection = { readonly kind: 'event' } | CommitRange;

/** Where the allowed signers come from. */
export type SignerSource =
  | { readonly kind: 'policy'; readonly path: string }
  | { readonly kind: 'files'; readonly allowedSigners?: string; readonly pgpKeys?: string };

export interface RunInputs {
  readonly signers: SignerSource;
  readonly commits: CommitSelection;
  readonly chain: string;
  readonly trustedRoot?: string;
  readonly signing: SigningChoice;
  readonly githubToken?: string;
  readonly repositoryPath: string;
}

/** `base..head`; three dots (a symmetric difference) is refused. */
export function parseRange(text: string): CommitRange {
  const parts = text.split('..');
  const [base, head] = parts;
  const plain = (rev: string | undefined): rev is string =>
    rev !== undefined &&
    rev !== '' &&
    !rev.startsWith('.') &&
    !rev.endsWith('.') &&
    !/\s/.test(rev);
  if (parts.length !== 2 || !plain(base) || !plain(head)) {
    throw new SathosError('USAGE', `input "range" is "${text}"; write it as base..head`);
  }
  return { kind: 'range', base, head };
}

function commitSelection(env: Env): CommitSelection {
  assertExclusive(env, ['range', 'commits']);
  const range = getInput(env, 'range');
  if (range !== undefined) return parseRange(range);
  const commits = getListInput(env, 'commits', true);
  return commits.length > 0 ? { kind: 'list', commits } : { kind: 'event' };
}

function signerSource(env: Env): SignerSource {
  assertExclusive(env, ['policy', 'allowed-signers']);
  assertExclusive(env, ['policy', 'pgp-keys']);
  const policy = getInput(env, 'policy');
  if (policy !== undefined) return { kind: 'policy', path: policy };
  const allowedSigners = getInput(env, 'allowed-signers');
  const pgpKeys = getInput(env, 'pgp-keys');
  if (allowedSigners === undefined && pgpKeys === undefined) {
    throw new SathosError(
      'USAGE',
      'nobody may sign commits: give input "policy" (with a commits: section), or "allowed-signers" and/or "pgp-keys"',
    );
  }
  return {
    kind: 'files',
    ...(allowedSigners === undefined ? {} : { allowedSigners }),
    ...(pgpKeys === undefined ? {} : { pgpKeys }),
  };
}

function signing(env: Env): SigningChoice {
  const kind = getChoiceInput(env, 'signing', ['keyless', 'key'], 'keyless');
  const key = getInput(env, 'signing-key');
  if (kind === 'key') {
    if (key === undefined) {
      throw new SathosError(
        'USAGE',
        'input "signing" is key but "signing-key" is empty; pass the PEM key from a secret',
      );
    }
    return { kind, privateKeyPem: key };
  }
  if (key !== undefined) {
    throw new SathosError(
      'USAGE',
      'input "signing-key" is set but "signing" is keyless; set signing: key to use the key',
    );
  }
  const rekorURL = getInput(env, 'rekor-url');
  const tsaURL = getInput(env, 'tsa-url');
  return {
    kind,
    fulcioURL: getInput(env, 'fulcio-url', { required: true }) ?? '',
    ...(rekorURL === undefined ? {} : { rekorURL }),
    ...(tsaURL === undefined ? {} : { tsaURL }),
  };
}

/** Reads every input once, failing on the first unusable one with a message naming it. */
export function readRunInputs(env: Env): RunInputs {
  const trustedRoot = getInput(env, 'trusted-root');
  const githubToken = getInput(env, 'github-token');
  return {
    signers: signerSource(env),
    commits: commitSelection(env),
    chain: getInput(env, 'chain') ?? '.sathos/chain.jsonl',
    ...(trustedRoot === undefined ? {} : { trustedRoot }),
    signing: signing(env),
    ...(githubToken === undefined ? {} : { githubToken }),
    repositoryPath: getInput(env, 'repository-path') ?? '.',
  };
}
