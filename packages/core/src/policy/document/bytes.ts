// Policy bytes, however they were fetched, become a Policy the same way: size first (before any
// parsing), then the pinned digest, then strict UTF-8, then the schema.
import type { Policy } from './document.js';
import { parsePolicy } from './document.js';
import { POLICY_LIMITS } from './limits.js';
import { PolicyInvalidError, problem } from './problem.js';
import { assertPolicyDigest } from './reference.js';

/** Parses policy bytes, checking an optional `sha256:<hex>` pin; throws a SathosError on any failure. */
export function policyFromBytes(bytes: Uint8Array, uri: string, expectedDigest?: string): Policy {
  if (bytes.byteLength > POLICY_LIMITS.maxBytes) {
    throw new PolicyInvalidError(uri, [
      problem(
        [],
        `policy is larger than ${POLICY_LIMITS.maxBytes} bytes; split it or remove what it does not need`,
      ),
    ]);
  }
  assertPolicyDigest(bytes, expectedDigest, uri);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new PolicyInvalidError(uri, [problem([], 'policy is not UTF-8 text')]);
  }
  return parsePolicy(text, uri);
}
