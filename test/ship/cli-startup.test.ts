// `sathos --version`, `--help` and a usage error load only the committed CLI's entry and the chunks
// it imports up front — never a command's own module (Sigstore, the policy engine, OpenPGP, the
// demo's stand-ins). Shown by copying just those files to an empty directory and running them
// there: had any of the three needed a command's chunk, it would fail to load it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

const DIST = join(import.meta.dirname, '..', '..', 'packages', 'cli', 'dist');
/** commander, cli-progress and the CLI's own option tables; a command's code is far larger. */
const EAGER_BUDGET_BYTES = 200_000;

/** The entry and every chunk it imports statically, transitively (what loads before any command). */
function eagerFiles(): string[] {
  const seen = new Set<string>();
  const queue = ['sathos.js'];
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const text = readFileSync(join(DIST, name), 'utf8');
    for (const match of text.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([^"']+)["']/g)) {
      if (match[1] !== undefined) queue.push(match[1]);
    }
  }
  return [...seen].sort();
}

function sathos(dir: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(dir, 'sathos.js'), ...args],
      { env: { PATH: process.env.PATH ?? '' } },
      (error, out, err) => {
        done({ code: error === null ? 0 : Number(error.code), out, err });
      },
    );
  });
}

void describe('the CLI starts without loading any command', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sathos-cli-startup-'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    for (const name of eagerFiles()) copyFileSync(join(DIST, name), join(dir, name));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  void it('loads little up front', () => {
    const bytes = eagerFiles().reduce(
      (sum, name) => sum + readFileSync(join(DIST, name)).length,
      0,
    );
    assert.ok(bytes < EAGER_BUDGET_BYTES, `the CLI loads ${bytes} bytes before any command`);
  });

  void it('--version', async () => {
    assert.deepEqual(await sathos(dir, ['--version']), { code: 0, out: '0.1.0\n', err: '' });
  });

  void it('--help', async () => {
    const { code, out } = await sathos(dir, ['--help']);
    assert.equal(code, 0);
    assert.match(out, /^Usage: sathos /);
    assert.match(out, /verify-chain/);
  });

  void it('a usage error', async () => {
    const { code, err } = await sathos(dir, ['verify-bundle']);
    assert.equal(code, 2);
    assert.match(err, /missing required argument 'bundle'; see sathos verify-bundle --help/);
  });

  void it('but a command fails without its chunk: the copy really is partial', async () => {
    const { code, err } = await sathos(dir, ['policy', 'check', join(dir, 'absent.yaml')]);
    assert.notEqual(code, 0);
    assert.match(err, /Cannot find module|ERR_MODULE_NOT_FOUND|chunk-/);
  });
});
