// The namespace's setup script on its own, in a real user+mount namespace: every unix socket named is
// covered (also paths with spaces, through the fstab's escapes); a socket gone since the scan is no
// failure; a socket that cannot be covered fails the setup, so the step never starts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bindFstab, NAMESPACE_SETUP_SCRIPT } from './namespace-init.js';
import { chooseSandbox, UNSHARE_FLAGS } from './sandbox.js';

/** Runs the setup for `sockets` in fresh namespaces, then `check` (sh) in the same namespaces. */
function setupThen(
  dir: string,
  sockets: readonly string[],
  check: string,
  fstab: boolean,
): { status: number | null; stdout: string } {
  const script = `sh -c "$SETUP" sathos-setup "$@" || exit 90\n${check}`;
  const result = spawnSync(
    'unshare',
    [...UNSHARE_FLAGS, 'sh', '-c', script, 'sathos-test', ...sockets],
    {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        SETUP: NAMESPACE_SETUP_SCRIPT,
        SATHOS_FSTAB: fstab ? join(dir, 'fstab') : '',
        SATHOS_RESOLV: join(dir, 'resolv.conf'),
        SATHOS_EMPTY: join(dir, 'empty'),
      },
    },
  );
  return { status: result.status, stdout: result.stdout };
}

function listen(path: string): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(path, () => {
      resolve(server);
    });
  });
}

describe('bindFstab', () => {
  it('escapes what would split an fstab field or line', () => {
    assert.equal(
      bindFstab('/r/resolv.conf', '/r/empty', ['/tmp/a b/s\\ock', '/tmp/t\tn\n.sock']),
      '/r/resolv.conf /etc/resolv.conf none bind 0 0\n' +
        '/r/empty /tmp/a\\040b/s\\134ock none bind 0 0\n' +
        '/r/empty /tmp/t\\011n\\012.sock none bind 0 0\n',
    );
  });
});

describe('the namespace setup script', () => {
  let dir: string;
  let available = false;
  const servers: Server[] = [];

  before(async () => {
    available = (await chooseSandbox('auto')).kind === 'netns';
    dir = await mkdtemp(join(tmpdir(), 'sathos-setup-'));
    await writeFile(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\n');
    await writeFile(join(dir, 'empty'), '');
    await mkdir(join(dir, 'with space'));
  });
  after(async () => {
    for (const server of servers) server.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const fstab of [true, false]) {
    it(`covers every socket named (${fstab ? 'one mount --all' : 'one by one'}), spaces included`, async (t) => {
      if (!available) {
        t.skip('no namespaces on this machine');
        return;
      }
      const sockets = [
        join(dir, `plain-${fstab}.sock`),
        join(dir, 'with space', `s ${fstab}.sock`),
      ];
      for (const path of sockets) servers.push(await listen(path));
      await writeFile(
        join(dir, 'fstab'),
        bindFstab(join(dir, 'resolv.conf'), join(dir, 'empty'), sockets),
      );
      const check =
        'for p; do [ -S "$p" ] && echo "open: $p"; done; grep -c 127.0.0.1 /etc/resolv.conf';
      const result = setupThen(dir, sockets, check, fstab);
      assert.equal(result.status, 0, result.stdout);
      assert.doesNotMatch(result.stdout, /open:/);
      assert.match(result.stdout, /^1$/m);
      assert.equal(result.stdout.includes('covered at once'), fstab);
    });
  }

  it('passes over a socket gone since the scan, and fails on one it cannot cover', async (t) => {
    if (!available) {
      t.skip('no namespaces on this machine');
      return;
    }
    const gone = join(dir, 'gone.sock');
    await writeFile(
      join(dir, 'fstab'),
      bindFstab(join(dir, 'resolv.conf'), join(dir, 'empty'), [gone]),
    );
    assert.equal(setupThen(dir, [gone], 'exit 0', true).status, 0);
    // A directory cannot be covered by a file: the setup must fail rather than leave it reachable.
    const uncoverable = join(dir, 'with space');
    await writeFile(
      join(dir, 'fstab'),
      bindFstab(join(dir, 'resolv.conf'), join(dir, 'empty'), [uncoverable]),
    );
    assert.equal(setupThen(dir, [uncoverable], 'exit 0', true).status, 90);
  });
});
