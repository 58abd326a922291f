// Which SATHOS the demo runs: the checkout holding the CLI, else the working directory's, else none
// (an installed CLI, which then runs the in-process demo); a checkout with no built action refused.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SathosError } from '@sathos/core';
import { commitSathos, findSathosCheckout } from './sathos-checkout.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, '');

void describe('the SATHOS checkout the demo runs', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'sathos-checkout-'));
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  void it('is the checkout holding the CLI', () => {
    assert.equal(findSathosCheckout(fileURLToPath(import.meta.url), scratch), ROOT);
  });

  void it("is the working directory's when the CLI lives elsewhere, else none", () => {
    const installed = join(scratch, 'lib/node_modules/@sathos/cli/dist/sathos.js');
    assert.equal(findSathosCheckout(installed, ROOT), ROOT);
    assert.equal(findSathosCheckout(installed, scratch), undefined);
  });

  void it('refuses a checkout with workflows but no built action', async () => {
    const bare = join(scratch, 'bare');
    mkdirSync(join(bare, '.github/workflows'), { recursive: true });
    mkdirSync(join(bare, 'actions/attest-build'), { recursive: true });
    writeFileSync(join(bare, '.github/workflows/sathos-pipeline.yml'), 'on: workflow_call\n');
    assert.equal(findSathosCheckout(join(bare, 'x.js'), scratch), bare);
    await assert.rejects(
      commitSathos(bare, join(scratch, 'repo')),
      (e: unknown) => e instanceof SathosError && /no built action/.test(e.message),
    );
  });
});
