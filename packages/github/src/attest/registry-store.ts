// push-to-registry: a chain store that attaches a step's bundles to each image subject as OCI
// referrers (as actions/attest's push-to-registry does) before the chain file is written — every
// push succeeds, then the file is written, or the step fails with the file as it was.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SathosError, describeCause, type ChainStore } from '@sathos/core';
import { readBoundedFile } from '@sathos/node';
import type { Env } from '../inputs.js';
import { PublishFirstStore } from './publish-first-store.js';

export interface PushedReferrer {
  readonly image: string;
  /** The referrer manifest's digest. */
  readonly digest: string;
}

/** Attaches one bundle to `image` (`registry/repository@sha256:<hex>`); the node edge's pushAttestation. */
export type RegistryPush = (
  image: string,
  bundle: unknown,
  credentials: RegistryLogin | undefined,
) => Promise<{ readonly digest: string }>;

export interface RegistryLogin {
  readonly username: string;
  readonly password: string;
}

/** A Docker config holds logins, not images: a larger file is not one. */
const MAX_DOCKER_CONFIG_BYTES = 1024 * 1024;

/**
 * The login `docker login` (docker/login-action) stored for the registry host, from
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json (`auths.<host>.auth`, base64 user:password).
 * No file or no entry: anonymous. Credential helpers are not read.
 */
export async function dockerLogin(env: Env, host: string): Promise<RegistryLogin | undefined> {
  const path = join(env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json');
  let json: unknown;
  try {
    const bytes = await readBoundedFile(path, {
      what: 'Docker config',
      maxBytes: MAX_DOCKER_CONFIG_BYTES,
      tooLarge: 'TOO_LARGE',
    });
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    const missing = (error as { cause?: { code?: unknown } }).cause?.code === 'ENOENT';
    if (missing) return undefined;
    throw new SathosError(
      'FILE_UNREADABLE',
      `cannot read the Docker config (${describeCause(error)})`,
      {
        where: path,
      },
    );
  }
  const auth = (json as { auths?: Record<string, { auth?: unknown }> } | null)?.auths?.[host]?.auth;
  if (typeof auth !== 'string') return undefined;
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    throw new SathosError('USAGE', `the Docker config's login for ${host} is not user:password`, {
      where: path,
    });
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export class RegistryStore extends PublishFirstStore {
  readonly pushed: PushedReferrer[] = [];

  constructor(
    inner: ChainStore,
    private readonly images: readonly string[],
    private readonly push: RegistryPush,
    private readonly env: Env,
  ) {
    super(inner);
  }

  protected async publish(bundles: readonly unknown[]): Promise<void> {
    for (const image of this.images) {
      const login = await dockerLogin(this.env, image.split('/')[0] ?? '');
      for (const [index, bundle] of bundles.entries()) {
        try {
          const { digest } = await this.push(image, bundle, login);
          this.pushed.push({ image, digest });
        } catch (cause) {
          throw new SathosError(
            'STORE_FAILED',
            `pushing bundle ${index + 1} of ${bundles.length} to ${image} failed (${describeCause(cause)}); the chain file is unchanged`,
            { cause },
          );
        }
      }
    }
  }
}
