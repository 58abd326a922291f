import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { isSathosError } from '@sathos/core';
import { requestedMajor, setupNode } from './setup-node.js';
import { runEmulated } from './emulated.js';

const refused = (e: unknown) => isSathosError(e) && e.code === 'WORKFLOW_INVALID';
/** A PATH whose first node is the one running this test. */
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
const major = Number(process.versions.node.split('.')[0]);

void describe('actions/setup-node as the local runner emulates it', () => {
  void it('reads a major version, and refuses anything it would have to resolve', () => {
    assert.equal(requestedMajor('24', 'w'), 24);
    assert.equal(requestedMajor('24.x', 'w'), 24);
    assert.equal(requestedMajor('v22', 'w'), 22);
    for (const bad of ['lts/*', '24.1.0', '>=24', '', undefined])
      assert.throws(() => requestedMajor(bad, 'w'), refused, String(bad));
  });

  void it('passes when the runner PATH has the node asked for, fails naming both versions otherwise', async () => {
    await setupNode({ 'node-version': String(major), 'package-manager-cache': 'false' }, PATH, 'w');
    await assert.rejects(
      setupNode({ 'node-version': String(major + 1) }, PATH, 'w'),
      (e: unknown) =>
        refused(e) &&
        (e as Error).message.includes(`v${major}`) &&
        (e as Error).message.includes(`asks for ${major + 1}`),
    );
    await assert.rejects(
      setupNode({ 'node-version': String(major) }, '/nonexistent', 'w'),
      refused,
    );
  });

  void it('refuses package-manager caching and inputs it does not emulate', async () => {
    await assert.rejects(
      setupNode({ 'node-version': String(major), 'package-manager-cache': 'true' }, PATH, 'w'),
      refused,
    );
    const ctx = {
      dirs: { workspace: '/nonexistent', temp: '/nonexistent' },
      repositories: {},
      repository: 'o/r',
      sha: 'a'.repeat(40),
      artifactsDir: '/nonexistent',
    };
    await assert.rejects(
      runEmulated(
        'actions/setup-node',
        { 'node-version': '24', 'registry-url': 'x' },
        ctx,
        'w',
        PATH,
      ),
      refused,
    );
    await runEmulated('actions/setup-node', { 'node-version': String(major) }, ctx, 'w', PATH);
  });
});
