import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEvent, readEvent } from './event.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ZERO = '0'.repeat(40);

const pullRequest = (overrides: Record<string, unknown> = {}) => ({
  number: 7,
  pull_request: {
    number: 7,
    base: { sha: A, repo: { full_name: 'octo-org/octo-repo' } },
    head: { sha: B, repo: { full_name: 'fork/octo-repo' } },
    ...overrides,
  },
});

void describe('event payloads', () => {
  void describe('when the event is a push', () => {
    void it('reads before, after and forced', () => {
      assert.deepEqual(
        parseEvent('push', {
          before: A,
          after: B,
          forced: true,
          ref: 'refs/heads/feature',
          repository: { default_branch: 'main' },
        }),
        {
          kind: 'push',
          before: A,
          after: B,
          forced: true,
          defaultBranch: 'main',
          ref: 'refs/heads/feature',
        },
      );
    });

    void it('turns the all-zero ids of a created or deleted branch into "no commit"', () => {
      assert.deepEqual(parseEvent('push', { before: ZERO, after: B }), {
        kind: 'push',
        before: undefined,
        after: B,
        forced: false,
        defaultBranch: undefined,
        ref: undefined,
      });
      assert.equal(
        (parseEvent('push', { before: A, after: ZERO }) as { after?: string }).after,
        undefined,
      );
    });

    void it('drops a default branch name git could take for an option or a range', () => {
      for (const name of ['--upload-pack=x', 'a..b', 'a b']) {
        const event = parseEvent('push', {
          before: A,
          after: B,
          repository: { default_branch: name },
        });
        assert.equal((event as { defaultBranch?: string }).defaultBranch, undefined);
      }
    });

    void it('refuses a before that is not a commit id', () => {
      assert.throws(() => parseEvent('push', { before: 'HEAD~1', after: B }), {
        code: 'USAGE',
        message: /no valid before/,
      });
    });
  });

  void describe('when the event is a pull request', () => {
    void it('reads the number, base and head, for pull_request and pull_request_target', () => {
      for (const name of ['pull_request', 'pull_request_target']) {
        assert.deepEqual(parseEvent(name, pullRequest()), {
          kind: 'pull_request',
          number: 7,
          baseSha: A,
          headSha: B,
          baseRepository: 'octo-org/octo-repo',
        });
      }
    });

    void it('refuses a payload with a hostile repository name or no head sha', () => {
      assert.throws(
        () =>
          parseEvent(
            'pull_request',
            pullRequest({ base: { sha: A, repo: { full_name: '../../x' } } }),
          ),
        {
          code: 'USAGE',
          message: /base\.repo\.full_name/,
        },
      );
      assert.throws(() => parseEvent('pull_request', pullRequest({ head: {} })), {
        code: 'USAGE',
        message: /head\.sha/,
      });
    });
  });

  void describe('when the event is a merge queue group or anything else', () => {
    void it('reads the group base and head, and leaves other events without a range', () => {
      assert.deepEqual(parseEvent('merge_group', { merge_group: { base_sha: A, head_sha: B } }), {
        kind: 'merge_group',
        baseSha: A,
        headSha: B,
      });
      assert.deepEqual(parseEvent('workflow_dispatch', {}), {
        kind: 'other',
        name: 'workflow_dispatch',
      });
    });
  });

  void describe('when the payload is read from GITHUB_EVENT_PATH', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sathos-event-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    void it('parses the file', async () => {
      const path = join(dir, 'push.json');
      await writeFile(path, JSON.stringify({ before: A, after: B }));
      assert.equal((await readEvent('push', path)).kind, 'push');
    });

    void it('refuses a file that is not JSON, and a missing path for a push', async () => {
      const path = join(dir, 'bad.json');
      await writeFile(path, '{"before":');
      await assert.rejects(readEvent('push', path), {
        code: 'USAGE',
        message: 'the event payload is not valid JSON',
      });
      await assert.rejects(readEvent('push', undefined), {
        code: 'USAGE',
        message: /GITHUB_EVENT_PATH is not set/,
      });
      await assert.rejects(readEvent('push', join(dir, 'absent.json')), {
        code: 'FILE_UNREADABLE',
      });
    });

    void it('refuses a path that is not a regular file (a FIFO would block the read forever)', async () => {
      const fifo = join(dir, 'event.fifo');
      execFileSync('mkfifo', [fifo]);
      await assert.rejects(readEvent('push', fifo), {
        code: 'FILE_UNREADABLE',
        message: /event payload/,
      });
      await assert.rejects(readEvent('push', '/dev/zero'), { code: 'FILE_UNREADABLE' });
    });

    void it('needs no file for an event without a range', async () => {
      assert.deepEqual(await readEvent('schedule', undefined), { kind: 'other', name: 'schedule' });
    });
  });
});
