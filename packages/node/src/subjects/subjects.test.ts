// Subjects from a real workspace on disk: names relative to the root (equal basenames stay
// distinct), streamed digests equal to the bytes' own, and each way out of the workspace built and
// refused with the path named — a symlink leaving it, `..`, an absolute path elsewhere, a FIFO.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SathosError, type ErrorCode } from '@sathos/core';
import { collectSubjects } from './collect.js';
import type { HashProgress } from './hash.js';
import { hashFiles } from './hash.js';
import { resolveSubjectPaths } from './workspace-paths.js';

const sha = (alg: string, text: string) => createHash(alg).update(text).digest('hex');

function fails(code: ErrorCode, message: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof SathosError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.line, message);
    return true;
  };
}

void describe('subjects from the workspace', () => {
  let base: string;
  let ws: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'sathos-subjects-'));
    ws = join(base, 'ws');
    await mkdir(join(ws, 'services/api/dist'), { recursive: true });
    await mkdir(join(ws, 'services/web/dist'), { recursive: true });
    await mkdir(join(base, 'outside'));
    await writeFile(join(ws, 'services/api/dist/app.tar'), 'api bytes');
    await writeFile(join(ws, 'services/web/dist/app.tar'), 'web bytes');
    await writeFile(join(base, 'outside/secret'), 'not yours');
  });
  after(async () => rm(base, { recursive: true, force: true }));

  void it('names files relative to the root, so equal basenames stay distinct', async () => {
    const subjects = await collectSubjects({ paths: ['services/*/dist/*.tar'] }, { workspace: ws });
    assert.deepEqual(subjects, [
      { name: 'services/api/dist/app.tar', digest: { sha256: sha('sha256', 'api bytes') } },
      { name: 'services/web/dist/app.tar', digest: { sha256: sha('sha256', 'web bytes') } },
    ]);
    const both = await collectSubjects(
      { paths: ['services/**/*.tar', join(ws, 'services/web/dist/app.tar')] },
      { workspace: ws, extra: ['sha512'] },
    );
    assert.equal(both.length, 2);
    assert.equal(both[1]?.digest.sha512, sha('sha512', 'web bytes'));
    const excluded = await resolveSubjectPaths(['services/**/*.tar', '!services/web/**'], ws);
    assert.deepEqual(
      excluded.map((f) => f.name),
      ['services/api/dist/app.tar'],
    );
  });

  void it('refuses a symlink leaving the workspace, naming it', async () => {
    await symlink(join(base, 'outside/secret'), join(ws, 'services/api/dist/escape.tar'));
    try {
      await assert.rejects(
        collectSubjects({ paths: ['services/api/dist/*'] }, { workspace: ws }),
        fails(
          'SUBJECT_INVALID',
          /services\/api\/dist\/escape\.tar: resolves through a symbolic link to .*outside the workspace/,
        ),
      );
    } finally {
      await rm(join(ws, 'services/api/dist/escape.tar'));
    }
    // Through a symlinked directory, by glob or by path: refused the same way.
    await symlink(join(base, 'outside'), join(ws, 'linked'));
    try {
      await assert.rejects(
        resolveSubjectPaths(['linked/**'], ws),
        fails('SUBJECT_INVALID', /linked\/secret: resolves through a symbolic link/),
      );
      await assert.rejects(
        resolveSubjectPaths(['linked/secret'], ws),
        fails('SUBJECT_INVALID', /linked\/secret: resolves through a symbolic link/),
      );
    } finally {
      await rm(join(ws, 'linked'));
    }
  });

  void it('refuses "..", absolute paths outside, a FIFO and a name with a line break, each named', async () => {
    await assert.rejects(
      resolveSubjectPaths(['../outside/secret'], ws),
      fails('SUBJECT_INVALID', /\.\.\/outside\/secret: a subject path may not climb out/),
    );
    await assert.rejects(
      resolveSubjectPaths([join(base, 'outside/secret')], ws),
      fails('SUBJECT_INVALID', /outside\/secret: the path is outside the workspace/),
    );
    execFileSync('mkfifo', [join(ws, 'pipe.tar')]);
    try {
      await assert.rejects(
        resolveSubjectPaths(['*.tar'], ws),
        fails('SUBJECT_INVALID', /pipe\.tar: is a FIFO; only regular files/),
      );
    } finally {
      await rm(join(ws, 'pipe.tar'));
    }
    await writeFile(join(ws, 'evil\nok.tar'), 'x');
    try {
      await assert.rejects(
        resolveSubjectPaths(['*.tar'], ws),
        fails('SUBJECT_INVALID', /evil\\u000aok\.tar: the subject name holds a control character/),
      );
    } finally {
      await rm(join(ws, 'evil\nok.tar'));
    }
    await assert.rejects(
      resolveSubjectPaths(['nothing/*.bin'], ws),
      fails('SUBJECT_INVALID', /matches no file/),
    );
  });

  void it('refuses a file swapped for another after its path was checked', async () => {
    const [file] = await resolveSubjectPaths(['services/api/dist/app.tar'], ws);
    assert.ok(file !== undefined);
    // A new file renamed over the old one: a different inode at the same path.
    await writeFile(`${file.path}.new`, 'swapped bytes');
    await rename(`${file.path}.new`, file.path);
    try {
      await assert.rejects(hashFiles([file]), fails('SUBJECT_INVALID', /was replaced/));
    } finally {
      await writeFile(file.path, 'api bytes');
    }
  });

  void it('refuses a file whose directory was swapped for a link leaving the workspace after the check', async () => {
    await mkdir(join(ws, 'swap/dir'), { recursive: true });
    await writeFile(join(ws, 'swap/dir/app.bin'), 'inside bytes');
    const [file] = await resolveSubjectPaths(['swap/dir/app.bin'], ws);
    assert.ok(file !== undefined);
    // The directory moved out (the file keeps its inode) and a link left in its place: the path
    // opened now reaches outside the workspace through an intermediate link O_NOFOLLOW does not see.
    await rename(join(ws, 'swap/dir'), join(base, 'moved-out'));
    await symlink(join(base, 'moved-out'), join(ws, 'swap/dir'));
    try {
      await assert.rejects(
        hashFiles([file]),
        fails(
          'SUBJECT_INVALID',
          /swap\/dir\/app\.bin: a directory on its path was swapped for a link .*moved-out/,
        ),
      );
    } finally {
      await rm(join(ws, 'swap'), { recursive: true });
    }
  });

  void it('streams large files and reports progress up to the totals', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024 + 3, 7);
    await writeFile(join(ws, 'big.bin'), big);
    const seen: HashProgress[] = [];
    const files = await resolveSubjectPaths(['big.bin', 'services/**'], ws);
    const subjects = await hashFiles(files, { onProgress: (p) => seen.push(p), concurrency: 2 });
    assert.equal(subjects[0]?.digest.sha256, createHash('sha256').update(big).digest('hex'));
    const last = seen.at(-1);
    assert.deepEqual(last, {
      files: 3,
      totalFiles: 3,
      bytes: big.length + 18,
      totalBytes: big.length + 18,
    });
    assert.ok(seen.length > 6, 'progress is reported per chunk, not only per file');
  });

  void it('reads checksums files, digests, images and the runner artifacts list', async () => {
    const a = 'a'.repeat(64);
    await writeFile(join(base, 'sums.txt'), `${a}  dist/x.tar\n${a} *dist/y.tar\n`);
    await writeFile(
      join(base, 'artifacts.json'),
      JSON.stringify({
        version: 1,
        subjects: [
          { name: 'dist/z.tar', digest: `sha256:${a}`, kind: 'file' },
          { name: 'ghcr.io/acme/app:v1', digest: `sha256:${a}`, kind: 'oci' },
        ],
      }),
    );
    const named = await collectSubjects(
      {
        checksums: join(base, 'sums.txt'),
        digests: [`lib@sha256:${a}`],
        images: [`ghcr.io/acme/app@sha256:${a}`],
      },
      { workspace: ws },
    );
    assert.deepEqual(
      named.map((s) => s.name),
      ['dist/x.tar', 'dist/y.tar', 'ghcr.io/acme/app', 'lib'],
    );
    const listed = await collectSubjects(
      { artifactsList: join(base, 'artifacts.json') },
      { workspace: ws },
    );
    assert.deepEqual(
      listed.map((s) => s.name),
      ['dist/z.tar', 'ghcr.io/acme/app'],
    );
    await writeFile(join(base, 'empty.json'), '');
    await assert.rejects(
      collectSubjects({ artifactsList: join(base, 'empty.json') }, { workspace: ws }),
      fails('SUBJECT_INVALID', /lists no artifact/),
    );
    await writeFile(
      join(base, 'bad.json'),
      '{"version": 1, "subjects": [{"name": "x", "digest": "sha1:ab", "kind": "file"}]}',
    );
    await assert.rejects(
      collectSubjects({ artifactsList: join(base, 'bad.json') }, { workspace: ws }),
      fails('SUBJECT_INVALID', /bad\.json subjects\[0\]: "digest" must be sha256/),
    );
    await assert.rejects(
      collectSubjects({}, { workspace: ws }),
      fails('USAGE', /no subject given/),
    );
  });
});
