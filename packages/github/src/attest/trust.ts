// Whom an attest step trusts to have signed the chain it is handed. The Sigstore root: the
// trusted-root input, else each bundle's embedded root chosen by its certificate's issuer
// (public-good or GitHub's instance, as `gh attestation verify` chooses). The signers:
// the policy's, else — with no policy — only this job's own identity (its workflow's certificate,
// or its key), for every built-in stage: a chain signed by anyone else is refused.
import { createPublicKey } from 'node:crypto';
import {
  BUILTIN_STAGES,
  SathosError,
  keyTrust,
  parsePublicKeys,
  rootChoosingVerifier,
  type ChainTrust,
  type Policy,
  type Trust,
} from '@sathos/core';
import { readTrustedRootInput } from '../files.js';
import type { JobSigner, SigningChoice } from '../signing.js';

/**
 * The trusted root: a file or `embedded:public-good` / `embedded:github`; none (no input) judges
 * each bundle by its own embedded root, so a chain may hold records of both instances.
 */
export async function loadAttestTrust(path: string | undefined): Promise<Trust | undefined> {
  return path === undefined ? undefined : readTrustedRootInput(path);
}

/** The public key of the signing key, so the job's own key-signed records verify. */
function ownKey(choice: SigningChoice) {
  if (choice.kind !== 'key') return [];
  const pem = createPublicKey(choice.privateKeyPem).export({ type: 'spki', format: 'pem' });
  return parsePublicKeys(pem.toString(), 'signing-key');
}

/** How the chain so far is verified before this step adds to it. */
export function chainTrust(
  trust: Trust | undefined,
  choice: SigningChoice,
  signer: JobSigner,
  stage: string,
  policy: Policy | undefined,
): ChainTrust {
  const keys = ownKey(choice);
  // The job's own key signs offline (no log, no timestamp): its own records carry no witness to
  // check. A trusted-root input names the root for keyless records, not a demand on this key.
  const checker = rootChoosingVerifier({
    ...(trust === undefined ? {} : { trust }),
    ...keyTrust({ keys, rootNamed: false }),
  });
  if (policy !== undefined) return { checker };
  if (!(BUILTIN_STAGES as readonly string[]).includes(stage)) {
    throw new SathosError(
      'USAGE',
      `stage "${stage}" is not a built-in stage (${BUILTIN_STAGES.join(', ')}); declare it in a policy and give input "policy"`,
    );
  }
  const actor = signer.actor;
  const rule =
    actor.kind === 'key'
      ? { keyId: actor.keyId }
      : { issuer: actor.issuer, subject: actor.subject };
  return {
    checker,
    requirements: {
      stages: BUILTIN_STAGES,
      identities: Object.fromEntries(BUILTIN_STAGES.map((s) => [s, [rule]])),
    },
  };
}
