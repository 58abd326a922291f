// A step's subjects from whatever the caller named: globs in the workspace (hashed), a checksums
// file, explicit digests, image references, or the runner's artifacts list. Files are read bounded;
// the result is deduplicated and sorted (normalizeSubjects), ready for attestStep.
import type { Subject } from '@sathos/core';
import {
  normalizeSubjects,
  parseArtifactsList,
  parseChecksums,
  parseImageReference,
  parseSubjectDigest,
  SathosError,
} from '@sathos/core';
import { readBoundedFile } from '../files.js';
import type { HashOptions } from './hash.js';
import { hashFiles } from './hash.js';
import { resolveSubjectPaths } from './workspace-paths.js';

/** 250,000 lines of a long name and a SHA-512 fit; a larger list is not a checksums file. */
export const SUBJECT_FILE_MAX_BYTES = 64 * 1024 * 1024;

export interface SubjectSources {
  /** Globs (or paths) relative to the workspace; `!glob` excludes. */
  readonly paths?: readonly string[];
  readonly checksums?: string;
  /** `name@sha256:<hex>` each. */
  readonly digests?: readonly string[];
  /** `registry/repository[:tag]@sha256:<hex>` each. */
  readonly images?: readonly string[];
  /** The runner's $GITHUB_ARTIFACTS_LIST file, read when nothing else names a subject. */
  readonly artifactsList?: string;
}

export interface CollectOptions extends HashOptions {
  /** The workspace root paths are relative to. */
  readonly workspace: string;
}

async function textOf(path: string, what: string): Promise<string> {
  const bytes = await readBoundedFile(path, {
    what,
    maxBytes: SUBJECT_FILE_MAX_BYTES,
    tooLarge: 'SUBJECT_INVALID',
  });
  return bytes.toString('utf8');
}

function named(sources: SubjectSources): boolean {
  return (
    (sources.paths ?? []).some((p) => p.trim() !== '') ||
    sources.checksums !== undefined ||
    (sources.digests ?? []).length > 0 ||
    (sources.images ?? []).length > 0
  );
}

/** Every subject the sources name, checked, hashed where they are files, deduplicated and sorted. */
export async function collectSubjects(
  sources: SubjectSources,
  options: CollectOptions,
): Promise<Subject[]> {
  const subjects: Subject[] = [];
  if (!named(sources)) {
    if (sources.artifactsList === undefined) {
      throw new SathosError(
        'USAGE',
        'no subject given: name the artifacts (paths, a checksums file, digests or images)',
      );
    }
    subjects.push(
      ...parseArtifactsList(
        await textOf(sources.artifactsList, 'artifacts list'),
        sources.artifactsList,
      ),
    );
    if (subjects.length === 0) {
      throw new SathosError('SUBJECT_INVALID', 'the runner lists no artifact and none was named', {
        where: sources.artifactsList,
      });
    }
  }
  if (sources.checksums !== undefined) {
    subjects.push(
      ...parseChecksums(await textOf(sources.checksums, 'checksums file'), sources.checksums),
    );
  }
  for (const digest of sources.digests ?? []) subjects.push(parseSubjectDigest(digest));
  for (const image of sources.images ?? []) subjects.push(parseImageReference(image));
  const paths = (sources.paths ?? []).filter((p) => p.trim() !== '');
  if (paths.length > 0) {
    const files = await resolveSubjectPaths(paths, options.workspace);
    subjects.push(...(await hashFiles(files, options)));
  }
  return normalizeSubjects(subjects);
}
