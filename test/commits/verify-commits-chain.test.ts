// `sathos verify-commits --chain` with real git and ssh-keygen: a verified range starts a chain whose
// genesis `sathos attest` builds on and `verify-chain` accepts; a rejected commit writes nothing; a
// chain that already holds records is not started again.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../packages/cli/src/index.js';
import { generateSigningKeyPair } from '@sathos/core';
import { TestRepo, allowedSignersLine, type SshKeyFiles } from './repo-builder.js';

async function sathos(
  args: readonly string[],
): Promise<{ code: number; json: Record<string, unknown> }> {
  let out = '';
  const code = await runCli([...args, '--json'], { out: (t) => (out += t), err: () => undefined });
  return { code, json: JSON.parse(out) as Record<string, unknown> };
}

describe('sathos verify-commits --chain', () => {
  let repo: TestRepo;
  let alice: SshKeyFiles;
  let mallory: SshKeyFiles;
  let signers: string;
  let key: string;
  let pub: string;
  const file = (name: string, text: string): string => {
    const path = join(repo.home, name);
    writeFileSync(path, text);
    return path;
  };

  before(() => {
    repo = TestRepo.create();
    alice = repo.sshKey('alice', 'ed25519');
    mallory = repo.sshKey('mallory', 'ed25519');
    signers = file('allowed_signers', allowedSignersLine('alice@example.com', alice));
    const pair = generateSigningKeyPair();
    key = file('signing.pem', pair.privateKeyPem);
    pub = file('signing.pub', pair.publicKeyPem);
    repo.commit({ signing: { ssh: alice.privatePath } });
  });
  after(() => {
    repo.dispose();
  });

  it('signs the genesis that attest builds on and verify-chain accepts', async () => {
    const head = repo.commit({ signing: { ssh: alice.privatePath } });
    const chain = join(repo.home, 'chain.jsonl');
    const args = ['HEAD', '--repo', repo.dir, '--allowed-signers', signers];
    const source = await sathos(['verify-commits', ...args, '--chain', chain, '--key', key]);
    assert.equal(source.code, 0, String(source.json.reason));
    const record = source.json.record as {
      digest: string;
      run: { commit: string; repository: string };
    };
    assert.equal(record.run.commit, head);
    assert.match(record.run.repository, /^file:\/\//);
    assert.equal(readFileSync(chain, 'utf8').trim().split('\n').length, 2, 'evidence and record');
    const artifact = file('app.tar', 'built');
    const trust = ['--verify-key', pub, '--require-stage', 'source', '--require-stage', 'build'];
    const build = await sathos([
      'attest',
      '--stage',
      'build',
      '--chain',
      chain,
      '--key',
      key,
      ...trust,
      '--workspace',
      repo.home,
      '--subject-path',
      'app.tar',
    ]);
    assert.equal(build.code, 0, String(build.json.reason));
    const verified = await sathos([
      'verify-chain',
      chain,
      '--artifact',
      artifact,
      '--key',
      pub,
      '--require-stage',
      'source',
      '--require-stage',
      'build',
    ]);
    assert.equal(verified.code, 0, String(verified.json.reason));
    const again = await sathos(['verify-commits', ...args, '--chain', chain, '--key', key]);
    assert.equal(again.code, 2);
    assert.match(String(again.json.reason), /already holds 4 bundle\(s\)/);
  });

  it('writes nothing when a commit is rejected, and wants --chain for its signing flags', async () => {
    repo.commit({ signing: { ssh: mallory.privatePath } });
    const chain = join(repo.home, 'rejected.jsonl');
    const args = ['HEAD', '--repo', repo.dir, '--allowed-signers', signers];
    const rejected = await sathos(['verify-commits', ...args, '--chain', chain, '--key', key]);
    assert.equal(rejected.code, 1);
    assert.equal(rejected.json.code, 'COMMIT_REJECTED');
    assert.equal(existsSync(chain), false);
    const stray = await sathos(['verify-commits', ...args, '--key', key]);
    assert.equal(stray.code, 2);
    assert.match(String(stray.json.reason), /add --chain/);
  });
});
