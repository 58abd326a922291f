// The committed bundle loads openpgp.js from a chunk only when it needs it: here a real
// gpg-signed commit and a pgp-keys file make the action take that path, from dist/index.js.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ActionFixture } from './fixture.js';

const BUNDLE = fileURLToPath(
  new URL('../../../actions/verify-commit-signature/dist/index.js', import.meta.url),
);

function runBundle(env: Record<string, string>): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BUNDLE], { env, timeout: 60_000 }, (error, stdout) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout });
    });
  });
}

void describe('the bundled verify-commit-signature action, OpenPGP path', () => {
  let fx: ActionFixture;
  let head = '';
  let keysPath = '';
  before(() => {
    fx = new ActionFixture();
    const fpr = fx.repo.gpgKey('Alice <alice@example.com>');
    head = fx.repo.commit({ signing: { gpg: fpr }, files: { 'pgp.txt': 'signed with gpg\n' } });
    keysPath = join(fx.work, 'pgp-keys.asc');
    writeFileSync(keysPath, fx.repo.gpgPublicKey(fpr));
  });
  after(() => {
    fx.dispose();
  });

  const env = (name: string, keys: string): Record<string, string> => {
    const output = join(fx.work, `${name}-output`);
    writeFileSync(output, '');
    writeFileSync(join(fx.work, `${name}-summary`), '');
    return {
      PATH: process.env.PATH ?? '',
      HOME: fx.work,
      ...fx.env('push', fx.pushEvent(fx.commits[2], head), head),
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: join(fx.work, `${name}-summary`),
      'INPUT_ALLOWED-SIGNERS': fx.allowedSigners,
      'INPUT_PGP-KEYS': keys,
      INPUT_SIGNING: 'key',
      'INPUT_SIGNING-KEY': fx.recordKey.privateKeyPem,
      INPUT_CHAIN: fx.chainPath(name),
      'INPUT_REPOSITORY-PATH': fx.repo.dir,
      'INPUT_GITHUB-TOKEN': 'ghs_unused',
    };
  };

  void it('verifies a gpg-signed commit against the allowed OpenPGP key', async () => {
    const e = env('pgp-ok', keysPath);
    const finished = await runBundle(e);
    assert.equal(finished.code, 0, finished.stdout);
    assert.ok(readFileSync(e.GITHUB_OUTPUT ?? '', 'utf8').includes(head));
  });

  void it('refuses it when the OpenPGP key file holds another key', async () => {
    const other = fx.repo.gpgKey('Mallory <mallory@example.com>');
    const otherPath = join(fx.work, 'other-keys.asc');
    writeFileSync(otherPath, fx.repo.gpgPublicKey(other));
    const finished = await runBundle(env('pgp-other', otherPath));
    assert.equal(finished.code, 1, finished.stdout);
    assert.match(finished.stdout, /::error.*OpenPGP key/);
  });
});
