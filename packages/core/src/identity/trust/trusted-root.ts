// The trust anchors a bundle is verified against: a Sigstore trusted root, validated by us, turned
// into sigstore-js trust material once, with the verification thresholds the root itself implies.
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { SathosError } from '../../errors.js';
import githubRoot from './roots/github.json' with { type: 'json' };
import publicGoodRoot from './roots/public-good.json' with { type: 'json' };
import { boundAuthorityWindows, looksLikeTrustedRoot, trustedRootProblems } from './validation.js';

/** A trusted_root.json larger than this is refused before parsing. */
export const MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024;

/** How many independent proofs each bundle must carry (sigstore-js `VerifierOptions`). */
export interface Thresholds {
  /** Verified transparency-log entries. */
  readonly tlog: number;
  /** Verified signed certificate timestamps on a Fulcio certificate. */
  readonly ctlog: number;
  /** Verified times: a log's integrated time or a signed RFC 3161 timestamp. */
  readonly timestamp: number;
}

/** A validated trusted root, built once and reused for every bundle. */
export interface Trust {
  /** Which root this is, for people: e.g. `Sigstore public-good`. */
  readonly description: string;
  readonly root: TrustedRoot;
  readonly thresholds: Thresholds;
  /** sigstore-js trust material without any public keys (keys are added per verifier). */
  readonly material: TrustMaterial;
}

/**
 * Thresholds follow the root: a root without transparency logs (GitHub's own instance) cannot
 * demand a log entry and demands a signed timestamp instead; a root without CT logs cannot demand
 * SCTs; a root with neither logs nor timestamp authorities can only anchor key-signed bundles.
 */
export function thresholdsFor(root: TrustedRoot): Thresholds {
  const hasTlogs = root.tlogs.length > 0;
  return {
    tlog: hasTlogs ? 1 : 0,
    ctlog: root.ctlogs.length > 0 ? 1 : 0,
    timestamp: hasTlogs || root.timestampAuthorities.length > 0 ? 1 : 0,
  };
}

/** Builds a Trust from a parsed trusted_root.json; `description` names it in messages. */
export function trustFromJSON(json: unknown, description: string): Trust {
  const where = description;
  if (!looksLikeTrustedRoot(json)) {
    throw new SathosError(
      'TRUST_ROOT_UNREADABLE',
      'not a Sigstore trusted root (expected a trusted_root.json object); pass a trusted_root.json file',
      { where },
    );
  }
  const problems = trustedRootProblems(json);
  if (problems.length > 0) {
    throw new SathosError(
      'TRUST_ROOT_REJECTED',
      `trusted root refused: ${problems.join('; ')}; fix or replace the trusted root`,
      { where },
    );
  }
  try {
    const root = TrustedRoot.fromJSON(json);
    boundAuthorityWindows(root.certificateAuthorities);
    boundAuthorityWindows(root.timestampAuthorities);
    return { description, root, thresholds: thresholdsFor(root), material: toTrustMaterial(root) };
  } catch (cause) {
    throw new SathosError(
      'TRUST_ROOT_REJECTED',
      'trusted root could not be turned into trust material; fix or replace the trusted root',
      { where, cause },
    );
  }
}

let publicGood: Trust | undefined;
let github: Trust | undefined;

/** The embedded Sigstore public-good production root (Fulcio, Rekor v1 and v2, CT logs, TSA). */
export function publicGoodTrust(): Trust {
  publicGood ??= trustFromJSON(publicGoodRoot, 'Sigstore public-good (embedded)');
  return publicGood;
}

/** The embedded root of GitHub's own Sigstore instance (Fulcio + TSA, no transparency log). */
export function githubTrust(): Trust {
  github ??= trustFromJSON(githubRoot, "GitHub's Sigstore instance (embedded)");
  return github;
}

/** One line saying which root and what it demands, for summaries. */
export function describeTrust(trust: Trust): string {
  const { tlog, ctlog, timestamp } = trust.thresholds;
  return `${trust.description}: requires ${tlog} tlog entry, ${ctlog} SCT, ${timestamp} verified time`;
}
