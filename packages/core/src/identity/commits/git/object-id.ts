// Object ids: what a full id looks like, and the id git gives an object of a type and content. The
// batch reader hashes every object it is handed again with objectId, so git cannot substitute one.
import { createHash } from 'node:crypto';
import { SathosError } from '../../../errors.js';

export type ObjectType = 'commit' | 'tree' | 'blob';

/** A full object id: 40 hex digits (SHA-1) or 64 (SHA-256). */
export const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function isObjectId(value: string): boolean {
  return OBJECT_ID.test(value);
}

export function assertIds(ids: readonly string[]): void {
  for (const id of ids) {
    if (!OBJECT_ID.test(id)) {
      throw new SathosError('USAGE', `"${id.slice(0, 80)}" is not a full object id`);
    }
  }
}

/** The id git gives an object of this type and content (SHA-1, or SHA-256 for 64-digit ids). */
export function objectId(id: string, type: ObjectType, raw: Buffer): string {
  return createHash(id.length === 64 ? 'sha256' : 'sha1')
    .update(`${type} ${raw.length}\0`)
    .update(raw)
    .digest('hex');
}
