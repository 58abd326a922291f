// Which Sigstore instance keyless signing uses, as actions/attest chooses it: public-good (Fulcio
// and the public Rekor log) for a public repository; GitHub's own instance (its Fulcio and
// timestamp authority, no log) for a private or internal one — a private repository's names must
// never be written to a public transparency log. Unknown visibility is treated as private.
import { SathosError } from '@sathos/core';
import { MAX_EVENT_BYTES } from './event.js';
import { readInputFile } from './files.js';
import type { SigningChoice } from './signing.js';

export const PUBLIC_GOOD_SERVICES = {
  fulcioURL: 'https://fulcio.sigstore.dev',
  rekorURL: 'https://rekor.sigstore.dev',
} as const;

export const GITHUB_SERVICES = {
  fulcioURL: 'https://fulcio.githubapp.com',
  tsaURL: 'https://timestamp.githubapp.com',
} as const;

/** `signing:` — keyless (instance by visibility), keyless-github (GitHub's instance), key. */
export const SIGNING_KINDS = ['keyless', 'keyless-github', 'key'] as const;
export type SigningKind = (typeof SIGNING_KINDS)[number];

export type Visibility = 'public' | 'private' | 'internal' | 'unknown';

/** What the step's inputs ask for; service URLs override an instance's (self-hosted, tests). */
export interface SigningRequest {
  readonly kind: SigningKind;
  readonly privateKeyPem?: string;
  readonly fulcioURL?: string;
  readonly rekorURL?: string;
  readonly tsaURL?: string;
}

export interface ResolvedSigning {
  readonly choice: SigningChoice;
  /** Which trust material verifies what this job signs. */
  readonly instance: 'public-good' | 'github' | 'key';
  /** One line for the log: what was chosen and why. */
  readonly reason: string;
}

/** The payload's `repository.visibility` (or `repository.private`); unknown when it says neither. */
export function visibilityOf(payload: unknown): Visibility {
  const repository = (payload as { repository?: unknown } | null)?.repository;
  if (typeof repository !== 'object' || repository === null) return 'unknown';
  const { visibility, private: isPrivate } = repository as Record<string, unknown>;
  if (visibility === 'public' || visibility === 'private' || visibility === 'internal') {
    return visibility;
  }
  if (isPrivate === true) return 'private';
  if (isPrivate === false) return 'public';
  return 'unknown';
}

/** The repository's visibility from GITHUB_EVENT_PATH; unknown when there is no payload. */
export async function readVisibility(eventPath: string | undefined): Promise<Visibility> {
  if (eventPath === undefined) return 'unknown';
  const text = await readInputFile(eventPath, 'GITHUB_EVENT_PATH', MAX_EVENT_BYTES);
  try {
    return visibilityOf(JSON.parse(text));
  } catch {
    throw new SathosError('USAGE', 'the event payload is not JSON', { where: eventPath });
  }
}

function githubInstance(request: SigningRequest, why: string): ResolvedSigning {
  if (request.rekorURL !== undefined) {
    throw new SathosError(
      'USAGE',
      `${why}: its records are never written to a transparency log, so leave rekor-url empty (or use signing: keyless for a public repository)`,
    );
  }
  return {
    choice: {
      kind: 'keyless',
      fulcioURL: request.fulcioURL ?? GITHUB_SERVICES.fulcioURL,
      tsaURL: request.tsaURL ?? GITHUB_SERVICES.tsaURL,
    },
    instance: 'github',
    reason: `${why}: GitHub's Sigstore instance (timestamp authority, no transparency log)`,
  };
}

/** The signing this step uses; a key without `signing-key`, or a key with keyless, is an error. */
export function resolveSigning(request: SigningRequest, visibility: Visibility): ResolvedSigning {
  if (request.kind === 'key') {
    if (request.privateKeyPem === undefined) {
      throw new SathosError(
        'USAGE',
        'input "signing" is key but "signing-key" is empty; pass the PEM key from a secret',
      );
    }
    return {
      choice: { kind: 'key', privateKeyPem: request.privateKeyPem },
      instance: 'key',
      reason: 'signing: key',
    };
  }
  if (request.privateKeyPem !== undefined) {
    throw new SathosError(
      'USAGE',
      `input "signing-key" is set but "signing" is ${request.kind}; set signing: key to use the key`,
    );
  }
  if (request.kind === 'keyless-github') return githubInstance(request, 'signing: keyless-github');
  if (visibility !== 'public') {
    return githubInstance(request, `the repository is ${visibility} (event payload)`);
  }
  const rekorURL = request.rekorURL ?? PUBLIC_GOOD_SERVICES.rekorURL;
  return {
    choice: {
      kind: 'keyless',
      fulcioURL: request.fulcioURL ?? PUBLIC_GOOD_SERVICES.fulcioURL,
      rekorURL,
      ...(request.tsaURL === undefined ? {} : { tsaURL: request.tsaURL }),
    },
    instance: 'public-good',
    reason: `the repository is public: Sigstore public-good (transparency log ${rekorURL})`,
  };
}
