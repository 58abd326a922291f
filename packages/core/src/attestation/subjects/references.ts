// Subjects named by digest rather than by bytes at hand: `name@sha256:<hex>` (an artifact built
// elsewhere) and container images `registry/repository[:tag]@sha256:<hex>`. An image's subject is
// named by its repository without tag or digest, as actions/attest names it, so the attestation
// is found by the same name a registry lists.
import { SathosError } from '../../errors.js';
import type { Subject, SubjectAlgorithm } from './subject.js';
import { makeSubject } from './subject.js';

function splitDigest(
  text: string,
  where: string,
  shape: string,
): [string, SubjectAlgorithm, string] {
  const at = text.lastIndexOf('@');
  const match = /^(sha256|sha512):([0-9a-fA-F]+)$/.exec(text.slice(at + 1));
  if (at <= 0 || match === null) {
    throw new SathosError('SUBJECT_INVALID', `expected ${shape}`, { where });
  }
  const [, algorithm = 'sha256', hex = ''] = match;
  return [text.slice(0, at), algorithm as SubjectAlgorithm, hex];
}

/** `name@sha256:<hex>` (or `sha512:`); the name may itself hold `@` (`pkg@1.2.3@sha256:…`). */
export function parseSubjectDigest(text: string, where = text): Subject {
  const [name, algorithm, hex] = splitDigest(text, where, '<name>@sha256:<64 hex>');
  return makeSubject(name, algorithm, hex, where);
}

// The OCI distribution grammar: lowercase path components joined by `/`, after an optional
// registry host (a dot or a port, or `localhost`).
const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]{1,5})?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function isRegistryHost(part: string): boolean {
  return (part.includes('.') || part.includes(':') || part === 'localhost') && HOST.test(part);
}

/** The repository of a reference without its tag, validated. */
function repositoryOf(reference: string, where: string): string {
  const parts = reference.split('/');
  const last = parts.at(-1) ?? '';
  const colon = last.indexOf(':');
  if (colon >= 0) {
    if (!TAG.test(last.slice(colon + 1))) {
      throw new SathosError('SUBJECT_INVALID', 'the image tag is not a valid tag', { where });
    }
    parts[parts.length - 1] = last.slice(0, colon);
  }
  const path = parts.length > 1 && isRegistryHost(parts[0] ?? '') ? parts.slice(1) : parts;
  if (path.length === 0 || !path.every((c) => COMPONENT.test(c))) {
    throw new SathosError(
      'SUBJECT_INVALID',
      'the image repository must be lowercase path components (registry/owner/name)',
      { where },
    );
  }
  return parts.join('/');
}

/**
 * A container image by digest: `registry/repository[:tag]@sha256:<hex>`. A reference without a
 * digest is refused — a tag can be moved after the step, so it names nothing fixed.
 */
export function parseImageReference(text: string, where = text): Subject {
  if (!text.includes('@')) {
    throw new SathosError(
      'SUBJECT_INVALID',
      'an image is attested by digest: give registry/repository@sha256:<64 hex> (a tag can move)',
      { where },
    );
  }
  const [reference, algorithm, hex] = splitDigest(
    text,
    where,
    'registry/repository[:tag]@sha256:<64 hex>',
  );
  if (algorithm !== 'sha256') {
    throw new SathosError('SUBJECT_INVALID', 'an image digest is sha256:<64 hex>', { where });
  }
  return makeSubject(repositoryOf(reference, where), algorithm, hex, where);
}
