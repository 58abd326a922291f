import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSathosError } from '@sathos/core';
import { startGitHubStandIn } from '../github-stand-in.js';
import { githubResolver } from './resolve.js';

const SHA = 'a'.repeat(40);

test('refs resolve to the commit the API names; anything else is a clear error, never a guess', async () => {
  const standIn = await startGitHubStandIn({
    apiToken: 'tok',
    commits: { 'octo/act@v1': SHA, 'octo/act@bad': 'not-a-sha' },
    files: { [`octo/act/sub/action.yml@${SHA}`]: 'name: x\n' },
  });
  try {
    const resolver = githubResolver({ apiUrl: standIn.apiUrl, token: 'tok', fetch });
    assert.equal(await resolver.resolve('octo/act', 'v1'), SHA);
    assert.equal(await resolver.read('octo/act', SHA, 'sub/action.yml'), 'name: x\n');
    assert.equal(await resolver.read('octo/act', SHA, 'action.yml'), undefined);
    const usage = (e: unknown): boolean => isSathosError(e) && e.code === 'USAGE';
    await assert.rejects(resolver.resolve('octo/act', 'bad'), usage);
    await assert.rejects(resolver.resolve('octo/act', 'missing'), usage);
    await assert.rejects(resolver.resolve('../../etc', 'v1'), usage);
    await assert.rejects(resolver.read('octo/act', 'v1', 'action.yml'), usage);
    const wrongToken = githubResolver({ apiUrl: standIn.apiUrl, token: 'nope', fetch });
    await assert.rejects(wrongToken.resolve('octo/act', 'v1'), usage);
    await assert.rejects(wrongToken.read('octo/act', SHA, 'sub/action.yml'), usage);
    const offline = githubResolver({ apiUrl: 'http://127.0.0.1:9', token: 'tok', fetch });
    await assert.rejects(offline.resolve('octo/act', 'v1'), usage);
  } finally {
    await standIn.close();
  }
});
