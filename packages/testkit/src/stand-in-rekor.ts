// Rekor stores the canonical form of a dsse/0.0.1 entry, not the proposed one; @sigstore/mock logs what
// it was sent, so the stand-in canonicalises first (what verifiers compare: signatures and payloadHash).
// https://github.com/sigstore/rekor/tree/main/pkg/types/dsse/v0.0.1
import { createHash } from 'node:crypto';

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

interface ProposedDsse {
  readonly apiVersion: '0.0.1';
  readonly kind: 'dsse';
  readonly spec: {
    readonly proposedContent: { readonly envelope: string; readonly verifiers: readonly string[] };
  };
}

function isProposedDsse(value: unknown): value is ProposedDsse {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as {
    kind?: unknown;
    apiVersion?: unknown;
    spec?: { proposedContent?: Record<string, unknown> };
  };
  const content = entry.spec?.proposedContent;
  return (
    entry.kind === 'dsse' &&
    entry.apiVersion === '0.0.1' &&
    typeof content?.envelope === 'string' &&
    Array.isArray(content.verifiers)
  );
}

interface EnvelopeJSON {
  readonly payload: string;
  readonly signatures: readonly { readonly sig: string }[];
}

/** The canonical body for a proposed dsse entry; other entries are returned unchanged. */
export function canonicalRekorEntry(proposed: unknown): unknown {
  if (!isProposedDsse(proposed)) return proposed;
  const { envelope, verifiers } = proposed.spec.proposedContent;
  const parsed = JSON.parse(envelope) as EnvelopeJSON;
  if (parsed.signatures.length !== verifiers.length) {
    throw new Error('each DSSE signature needs exactly one verifier');
  }
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(parsed.payload, 'base64')) },
      signatures: parsed.signatures.map((s, i) => ({ signature: s.sig, verifier: verifiers[i] })),
    },
  };
}
