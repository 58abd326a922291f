// Every file in each committed action dist/ (main.js and its chunks) loads as the runner would load it (an ES module beside
// the action's package.json, type module): the chunks an action imports only on one path (OpenPGP,
// CMS parsing, the Actions cache) are never run by the no-input bundle tests, so a chunk that
// fails to evaluate (a broken import between chunks, a chunk missing from dist/) would otherwise show
// up only in a user's run that takes that path.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ACTIONS = join(import.meta.dirname, '..', '..', 'actions');

const actions = readdirSync(ACTIONS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

void describe('committed action dist/ chunks', () => {
  for (const action of actions) {
    const dist = join(ACTIONS, action, 'dist');
    const chunks = readdirSync(dist).filter((name) => name !== 'index.js');
    void it(`${action}: every chunk loads (${chunks.length})`, async () => {
      for (const name of chunks) {
        assert.match(
          name,
          /^(?:main|chunk-[A-Z0-9]+)\.js$/,
          `${action}/dist/${name} is not the action's main or a build chunk`,
        );
        const url = pathToFileURL(join(dist, name)).href;
        // A child process with only PATH: loading must not depend on this test's environment.
        const { stdout } = await run(
          process.execPath,
          ['--input-type=module', '-e', `await import(${JSON.stringify(url)}); console.log('ok');`],
          { env: { PATH: process.env.PATH ?? '' } },
        );
        assert.equal(stdout, 'ok\n', `${action}/dist/${name}`);
      }
    });
  }
});
