// Storing Sigstore bundles with GitHub's attestations API, as actions/attest does: one
// `POST /repos/{owner}/{repo}/attestations` with `{bundle}` per bundle, answered `201 {id}`.
// https://docs.github.com/en/rest/repos/attestations#create-an-attestation
import { SathosError, isSathosError } from '@sathos/core';
import {
  apiBase,
  checkRepository,
  githubHeaders,
  jsonOf,
  sendWithRetry,
  type AttestationsApi,
  type Purpose,
} from './http.js';

export interface UploadOptions extends AttestationsApi {
  /** The Sigstore bundle, as JSON (v0.1 to v0.3). */
  readonly bundle: unknown;
  /** `owner/name`. */
  readonly repository: string;
  /** A token with `attestations: write` on the repository (the job's GITHUB_TOKEN). */
  readonly token: string;
  /** GITHUB_SERVER_URL, for the attestation's page; derived from apiUrl when absent. */
  readonly serverUrl?: string;
}

export interface UploadedAttestation {
  readonly id: number;
  /** The attestation's page on GitHub. */
  readonly url: string;
}

/** Answers are a small object; anything larger is not GitHub's answer. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** api.github.com → github.com; https://ghes/api/v3 → https://ghes; api.x.ghe.com → x.ghe.com. */
export function serverUrlOf(apiUrl: string): string {
  const url = new URL(apiUrl);
  if (url.hostname.startsWith('api.')) return `${url.protocol}//${url.host.slice(4)}`;
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/api\/v3\/?$/, '')}`.replace(
    /\/+$/,
    '',
  );
}

function checkBundle(bundle: unknown): void {
  const mediaType = (bundle as { mediaType?: unknown } | null)?.mediaType;
  if (
    typeof bundle !== 'object' ||
    bundle === null ||
    Array.isArray(bundle) ||
    typeof mediaType !== 'string' ||
    !mediaType.startsWith('application/vnd.dev.sigstore.bundle')
  ) {
    throw new SathosError(
      'USAGE',
      'only a Sigstore bundle (an object with a application/vnd.dev.sigstore.bundle… mediaType) can be uploaded as an attestation',
    );
  }
}

/** Uploads one bundle; retries while GitHub is busy or rate limited, never on a refusal. */
export async function uploadAttestation(options: UploadOptions): Promise<UploadedAttestation> {
  const repository = checkRepository(options.repository);
  checkBundle(options.bundle);
  if (options.token.trim() === '') {
    throw new SathosError(
      'USAGE',
      'uploading an attestation needs a token: pass github-token (the job needs `permissions: attestations: write`)',
    );
  }
  const purpose: Purpose = {
    action: `uploading an attestation to ${repository}`,
    permission: 'attestations: write',
    code: 'STORE_FAILED',
  };
  const url = `${apiBase(options.apiUrl)}/repos/${repository}/attestations`;
  const reply = await sendWithRetry(
    options,
    url,
    {
      method: 'POST',
      headers: { ...githubHeaders(options.token), 'content-type': 'application/json' },
      body: JSON.stringify({ bundle: options.bundle }),
    },
    purpose,
    MAX_ANSWER_BYTES,
  );
  const id = (jsonOf(reply, purpose, url) as { id?: unknown } | null)?.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    throw new SathosError(
      'STORE_FAILED',
      `the GitHub API answered ${reply.status} without an attestation id ${purpose.action}`,
      { where: url },
    );
  }
  const server = (options.serverUrl ?? serverUrlOf(options.apiUrl)).replace(/\/+$/, '');
  return { id, url: `${server}/${repository}/attestations/${id}` };
}

export interface UploadAllOptions extends Omit<UploadOptions, 'bundle'> {
  readonly bundles: readonly unknown[];
}

/** Either every bundle was uploaded, or the first failure and those uploaded before it. */
export type UploadAllResult =
  | { readonly ok: true; readonly uploaded: readonly UploadedAttestation[] }
  | {
      readonly ok: false;
      readonly uploaded: readonly UploadedAttestation[];
      /** Index in `bundles` of the bundle that failed; later ones were not sent. */
      readonly failedIndex: number;
      readonly error: SathosError;
    };

/**
 * Uploads the bundles in order and stops at the first failure: GitHub has no transaction, so the
 * result names what is already stored (an attestation cannot be taken back by this token).
 */
export async function uploadAll(options: UploadAllOptions): Promise<UploadAllResult> {
  const uploaded: UploadedAttestation[] = [];
  for (const [index, bundle] of options.bundles.entries()) {
    try {
      uploaded.push(await uploadAttestation({ ...options, bundle }));
    } catch (cause) {
      const error = isSathosError(cause)
        ? cause
        : new SathosError('STORE_FAILED', `uploading attestation ${index + 1} failed`, { cause });
      return { ok: false, uploaded, failedIndex: index, error };
    }
  }
  return { ok: true, uploaded };
}
