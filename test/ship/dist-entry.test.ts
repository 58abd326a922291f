// Each committed action's dist/index.js reads and checks the inputs before it loads anything else:
// it imports no file beside it up front, only `import("./main.js")` once the inputs are usable. The
// attack on the cold start this guards against is a regression, not an adversary: one static import
// of a barrel and every cold start compiles the policy engine and Sigstore again. Shown by running
// the entry alone — copied to a directory without main.js or any chunk — with no inputs: it must
// still fail the step with the one ::error:: line, which it could not do had it needed another file.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const ACTIONS = join(import.meta.dirname, '..', '..', 'actions');
/** An entry is input reading and @actions/core's commands; far more means it bundles the action. */
const ENTRY_BUDGET_BYTES = 40_000;

const actions = readdirSync(ACTIONS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

function runAlone(
  dir: string,
  inputs: Record<string, string> = {},
): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(dir, 'index.js')],
      { cwd: dir, env: { PATH: process.env.PATH ?? '', ...inputs } },
      (error, stdout) => {
        done({ code: error === null ? 0 : Number(error.code), stdout });
      },
    );
  });
}

void describe('committed action entries (dist/index.js)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sathos-dist-entry-'));
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  for (const action of actions) {
    const entry = join(ACTIONS, action, 'dist', 'index.js');

    void it(`${action}: imports only ./main.js, and only with import()`, () => {
      const text = readFileSync(entry, 'utf8');
      assert.ok(text.length < ENTRY_BUDGET_BYTES, `${action}: entry is ${text.length} bytes`);
      assert.doesNotMatch(text, /(?:\bfrom|\bimport)\s*["']\.{1,2}\//, 'a static relative import');
      const loaded = [...text.matchAll(/\bimport\(\s*["'](\.{1,2}\/[^"']*)["']\s*\)/g)].map(
        (match) => match[1],
      );
      assert.deepEqual(loaded, ['./main.js']);
    });

    void it(`${action}: alone, with no inputs, fails the step with one ::error:: line`, async () => {
      const dir = mkdtempSync(join(scratch, `${action}-`));
      copyFileSync(entry, join(dir, 'index.js'));
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
      const { code, stdout } = await runAlone(dir);
      assert.equal(code, 1, stdout);
      const errors = stdout.split('\n').filter((line) => line.startsWith('::error::'));
      assert.equal(errors.length, 1, stdout);
      assert.match(errors[0] ?? '', /^::error::USAGE: /);
    });
  }

  void it('guard: alone, with usable inputs, fails the step in one line naming the missing code', async () => {
    const dir = mkdtempSync(join(scratch, 'guard-usable-'));
    copyFileSync(join(ACTIONS, 'guard', 'dist', 'index.js'), join(dir, 'index.js'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const { code, stdout } = await runAlone(dir, { INPUT_RUN: 'true' });
    assert.equal(code, 1, stdout);
    const errors = stdout.split('\n').filter((line) => line.startsWith('::error::'));
    assert.equal(errors.length, 1, stdout);
    assert.match(errors[0] ?? '', /^::error::unexpected error: the action's code did not load \(/);
  });
});
