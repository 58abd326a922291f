// The runner's list of the job's declared artifacts ($GITHUB_ARTIFACTS_LIST): steps declare files
// and images through $GITHUB_ARTIFACTS, and the runner hands later steps a JSON file
// `{"version": 1, "subjects": [{"name", "digest": "sha256:<hex>", "kind": "file" | "oci"}]}`.
// actions/attest v4 attests these when no subject input is given; so does SATHOS. An empty file
// means the feature is off: no subjects.
import { SathosError } from '../../errors.js';
import { jsonNestingProblem } from '../../json-nesting.js';
import { parseImageReference } from './references.js';
import type { Subject } from './subject.js';
import { makeSubject } from './subject.js';

const VERSION = 1;
/** {"subjects": [{"digest"…}]} is three levels; a little room for fields the runner may add. */
const MAX_DEPTH = 8;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function entrySubject(entry: unknown, where: string): Subject {
  if (!isObject(entry)) throw new SathosError('SUBJECT_INVALID', 'must be an object', { where });
  const { name, digest, kind } = entry;
  if (typeof name !== 'string' || typeof digest !== 'string') {
    throw new SathosError('SUBJECT_INVALID', '"name" and "digest" must be strings', { where });
  }
  const match = /^sha256:([0-9a-fA-F]{64})$/.exec(digest);
  if (match === null) {
    throw new SathosError('SUBJECT_INVALID', '"digest" must be sha256:<64 hex>', { where });
  }
  const hex = match[1] ?? '';
  if (kind === 'file') return makeSubject(name, 'sha256', hex, where);
  if (kind === 'oci') {
    // Named as --subject-image names an image: the repository, without tag or digest.
    const image = parseImageReference(`${name.split('@')[0] ?? ''}@sha256:${hex}`, where);
    return image;
  }
  throw new SathosError('SUBJECT_INVALID', '"kind" must be "file" or "oci"', { where });
}

/** The subjects the runner listed; [] when the file is empty. Anything malformed names the entry. */
export function parseArtifactsList(text: string, source: string): Subject[] {
  if (text.charCodeAt(0) === 0xfeff) {
    throw new SathosError('SUBJECT_INVALID', 'the artifacts list starts with a byte order mark', {
      where: source,
    });
  }
  if (text.trim() === '') return [];
  // The list is two levels deep; a deeper one is refused before parsing it costs anything.
  if (jsonNestingProblem(text, MAX_DEPTH) !== undefined) {
    throw new SathosError(
      'SUBJECT_INVALID',
      `the artifacts list nests deeper than ${MAX_DEPTH} levels: it is not the runner's list`,
      { where: source },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw new SathosError('SUBJECT_INVALID', 'the artifacts list is not JSON', {
      where: source,
      cause,
    });
  }
  if (!isObject(data) || data.version !== VERSION || !Array.isArray(data.subjects)) {
    throw new SathosError(
      'SUBJECT_INVALID',
      `the artifacts list must be {"version": ${VERSION}, "subjects": [...]}`,
      { where: source },
    );
  }
  return data.subjects.map((entry, i) => entrySubject(entry, `${source} subjects[${i}]`));
}
