// Subjects from every input form: checksums files (coreutils text and binary mode, escaped names,
// BSD tags, SHA-512), digests and image references; duplicates, conflicts and the split into parts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArtifactsList } from './artifacts-list.js';
import { parseChecksums } from './checksums.js';
import { parseImageReference, parseSubjectDigest } from './references.js';
import { splitSubjects } from './split.js';
import { normalizeSubjects } from './subject.js';

const A = 'a'.repeat(64);
const B = 'B'.repeat(64);
const C512 = 'c'.repeat(128);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return `${(error as { code?: string }).code}: ${(error as Error).message}`;
  }
  return 'no error';
}

describe('parseChecksums', () => {
  it('reads text and binary mode, goreleaser lines, BSD tags and SHA-512', () => {
    const text = [
      `${A}  dist/app_linux_amd64.tar.gz`,
      `${B} *dist/app.exe`,
      `SHA512 (dist/app.zip) = ${C512}`,
      `\\${A}  dist/back\\\\slash`,
      '',
    ].join('\r\n');
    assert.deepEqual(parseChecksums(text, 'checksums.txt'), [
      { name: 'dist/app_linux_amd64.tar.gz', digest: { sha256: A } },
      { name: 'dist/app.exe', digest: { sha256: B.toLowerCase() } },
      { name: 'dist/app.zip', digest: { sha512: C512 } },
      { name: 'dist/back\\slash', digest: { sha256: A } },
    ]);
  });

  it('names the file and line of anything it does not understand', () => {
    assert.match(
      code(() => parseChecksums(`${A}  ok\nnot a line\n`, 'sums')),
      /SUBJECT_INVALID: not a checksums line/,
    );
    assert.match(
      code(() => parseChecksums(`${'a'.repeat(40)}  sha1-file\n`, 'sums')),
      /neither SHA-256/,
    );
    assert.match(
      code(() => parseChecksums(`SHA256 (x) = ${C512}\n`, 'sums')),
      /must be 64 hex/,
    );
    assert.match(
      code(() => parseChecksums('\n\n', 'sums')),
      /names no artifact/,
    );
  });

  it('refuses a line longer than any digest and name before reading it (a line of escapes)', () => {
    // 5 MB of escaped backslashes: read whole, unescaping it alone took seconds per line.
    const hostile = `\\${A}  ${'\\\\'.repeat(2_500_000)}\n`;
    assert.match(
      code(() => parseChecksums(hostile, 'sums')),
      /SUBJECT_INVALID: the line is longer/,
    );
    // The longest real line still reads: a SHA-512 and a 4,096-byte name, escaped.
    const longest = `\\${C512}  ${'\\\\'.repeat(2048)}${'n'.repeat(2048)}\n`;
    assert.equal(parseChecksums(longest, 'sums')[0]?.name.length, 4096);
  });

  it('refuses an escaped line break in a name (it would forge log lines)', () => {
    assert.match(
      code(() => parseChecksums(`\\${A}  evil\\nname\n`, 'sums')),
      /control character/,
    );
  });
});

describe('parseArtifactsList', () => {
  it('refuses a list nested deeper than the runner writes, before parsing it', () => {
    // An unclosed run of brackets: JSON.parse would call it truncated only after walking it all.
    assert.match(
      code(() => parseArtifactsList('['.repeat(1_000_000), 'list.json')),
      /SUBJECT_INVALID: the artifacts list nests deeper than 8 levels/,
    );
    const ok = `{"version":1,"subjects":[{"name":"a","digest":"sha256:${A}","kind":"file","x":{"y":["z"]}}]}`;
    assert.equal(parseArtifactsList(ok, 'list.json').length, 1);
  });
});

describe('digests and images', () => {
  it('splits name@sha256 at the last @', () => {
    assert.deepEqual(parseSubjectDigest(`pkg@1.2.3@sha256:${A}`), {
      name: 'pkg@1.2.3',
      digest: { sha256: A },
    });
    assert.match(
      code(() => parseSubjectDigest(`@sha256:${A}`)),
      /expected <name>@sha256/,
    );
    assert.match(
      code(() => parseSubjectDigest(`x@sha256:${A}0`)),
      /64 hex/,
    );
  });

  it('names an image by its repository without tag or digest, as actions/attest does', () => {
    assert.deepEqual(parseImageReference(`ghcr.io/acme/app:v1@sha256:${A}`), {
      name: 'ghcr.io/acme/app',
      digest: { sha256: A },
    });
    assert.equal(parseImageReference(`localhost:5000/app@sha256:${A}`).name, 'localhost:5000/app');
    assert.match(
      code(() => parseImageReference('ghcr.io/acme/app:v1')),
      /a tag can move/,
    );
    assert.match(
      code(() => parseImageReference(`ghcr.io/Acme/app@sha256:${A}`)),
      /lowercase/,
    );
    assert.match(
      code(() => parseImageReference(`app@sha512:${C512}`)),
      /sha256:<64 hex>/,
    );
  });
});

describe('normalizeSubjects and splitSubjects', () => {
  it('drops exact duplicates, sorts by name, and refuses one name with two digests', () => {
    const subjects = [
      { name: 'b', digest: { sha256: A } },
      { name: 'a', digest: { sha256: A } },
      { name: 'b', digest: { sha256: A } },
    ];
    assert.deepEqual(
      normalizeSubjects(subjects).map((s) => s.name),
      ['a', 'b'],
    );
    const conflict = [...subjects, { name: 'a', digest: { sha256: B.toLowerCase() } }];
    assert.match(
      code(() => normalizeSubjects(conflict)),
      /named twice with different digests/,
    );
  });

  it('splits by count and by bytes, keeping order, and refuses nothing to attest', () => {
    const many = Array.from({ length: 2500 }, (_, i) => ({
      name: `f${String(i).padStart(5, '0')}`,
      digest: { sha256: A },
    }));
    const parts = splitSubjects(many);
    assert.deepEqual(
      parts.map((p) => p.length),
      [1024, 1024, 452],
    );
    assert.deepEqual(parts.flat(), many);
    const bySize = splitSubjects(many.slice(0, 10), { maxSubjects: 1024, maxBytes: 300 });
    assert.ok(bySize.length > 1 && bySize.every((p) => JSON.stringify(p).length <= 300 + p.length));
    assert.match(
      code(() => splitSubjects(many, { maxSubjects: 2048, maxBytes: 1024 })),
      /never larger/,
    );
    assert.match(
      code(() => splitSubjects([])),
      /names no subject/,
    );
  });
});
