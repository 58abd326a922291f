// The bounded reader and the directory maker against what a hostile or careless path can be: a
// FIFO with no writer, a device, a directory, a file over the limit or one whose size lies (/proc),
// and a directory the file system will not make (/proc/x, where Node's recursive mkdir spins).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SathosError, type ErrorCode } from '@sathos/core';
import type { FileLimit } from './files.js';
import { makeDirectories, readBoundedFile } from './files.js';

const LIMIT: FileLimit = { what: 'test file', maxBytes: 16, tooLarge: 'KEY_UNREADABLE' };

function fails(code: ErrorCode, message: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof SathosError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.line, message);
    return true;
  };
}

void describe('readBoundedFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sathos-files-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void it('reads a file at the limit whole', async () => {
    const path = join(dir, 'at-limit');
    await writeFile(path, 'x'.repeat(16));
    assert.equal((await readBoundedFile(path, LIMIT)).toString(), 'x'.repeat(16));
  });

  void it('refuses a file one byte over the limit with the limit and the caller code', async () => {
    const path = join(dir, 'over');
    await writeFile(path, 'x'.repeat(17));
    await assert.rejects(
      readBoundedFile(path, LIMIT),
      fails('KEY_UNREADABLE', /over: test file is larger than the limit of 16 bytes/),
    );
  });

  void it('refuses a file whose size says 0 but holds more (/proc)', async (t) => {
    if (!existsSync('/proc/self/status')) {
      t.skip('no /proc here');
      return;
    }
    assert.equal((await stat('/proc/self/status')).size, 0);
    await assert.rejects(
      readBoundedFile('/proc/self/status', LIMIT),
      fails('KEY_UNREADABLE', /16/),
    );
    const whole = await readBoundedFile('/proc/self/status', { ...LIMIT, maxBytes: 1 << 20 });
    assert.match(whole.toString(), /^Name:/);
  });

  void it('refuses a FIFO with no writer at once instead of blocking on it', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await assert.rejects(
      readBoundedFile(fifo, LIMIT),
      fails('FILE_UNREADABLE', /cannot read the test file: not a regular file/),
    );
  });

  void it('refuses a device that never ends (/dev/zero)', async () => {
    await assert.rejects(readBoundedFile('/dev/zero', LIMIT), fails('FILE_UNREADABLE', /regular/));
  });

  void it('says a directory, a missing file and an empty path are unusable', async () => {
    await assert.rejects(readBoundedFile(dir, LIMIT), fails('FILE_UNREADABLE', /a directory/));
    await assert.rejects(
      readBoundedFile(join(dir, 'absent'), LIMIT),
      fails('FILE_UNREADABLE', /no such file; check the path/),
    );
    await assert.rejects(readBoundedFile('', LIMIT), fails('FILE_UNREADABLE', /path is empty/));
  });
});

void describe('makeDirectories', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sathos-dirs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void it('makes every missing level and accepts what exists', async () => {
    const deep = join(dir, 'a', 'b', 'c');
    await makeDirectories(deep, 'STORE_FAILED', 'test directory');
    assert.ok((await stat(deep)).isDirectory());
    await makeDirectories(deep, 'STORE_FAILED', 'test directory');
  });

  void it('refuses a path through a file', async () => {
    const file = join(dir, 'plain');
    await writeFile(file, '');
    await assert.rejects(
      makeDirectories(join(file, 'sub'), 'USAGE', 'test directory'),
      fails('USAGE', /plain is not a directory/),
    );
  });

  // Node's mkdir(…, { recursive: true }) retries this forever at 100% CPU.
  void it('fails once where mkdir answers ENOENT under a parent that exists (/proc/x)', async (t) => {
    if (!existsSync('/proc/self')) {
      t.skip('no /proc here');
      return;
    }
    await assert.rejects(
      makeDirectories('/proc/sathos-test/deeper', 'USAGE', 'test directory'),
      fails('USAGE', /cannot create the test directory: ENOENT/),
    );
  });
});
