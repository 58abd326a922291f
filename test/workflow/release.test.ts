// Issue #13: the release workflow dogfoods SATHOS. release.yml runs through the local workflow
// runner on a checkout of this repository's HEAD, tagged and pushed, against the Sigstore stand-ins,
// with the stand-ins of release-shims/ for npm's network commands, the bundle rebuild, the full
// test suite and gh (docs/releasing.md § What the release test runs). Then the real `sathos
// verify-chain` accepts the published chain for the released tarballs — and refuses a tarball
// changed after the gate, a chain missing a record, an unsigned tag commit, and a policy without
// a maintainer key.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from '@sathos/github/workflow-runner';
import { POLICY, ReleaseFixture, STAND_IN_ROOT } from './release-fixture.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

interface Verdict {
  readonly status: number | null;
  readonly json: { verified?: boolean; code?: string; reason?: string };
}

void describe('the release workflow (release.yml) through the local runner', () => {
  const f = new ReleaseFixture();
  let honest: RunResult;
  let assets: string;
  let published: string;
  const version = f.version;
  const cli = () => join(assets, `sathos-cli-${version}.tgz`);

  /** The real CLI, as committed at the tag, verifying a chain offline under the tag's policy. */
  function verifyChain(chain: string, artifacts: readonly string[]): Verdict {
    const result = spawnSync(
      process.execPath,
      [
        join(f.repo.dir, 'packages/cli/dist/sathos.js'),
        'verify-chain',
        chain,
        ...artifacts.flatMap((a) => ['--artifact', a]),
        '--policy',
        join(f.repo.dir, POLICY),
        '--trusted-root',
        join(f.repo.dir, STAND_IN_ROOT),
        '--environment',
        'release',
        '--json',
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    return { status: result.status, json: JSON.parse(result.stdout) as Verdict['json'] };
  }

  before(async () => {
    await f.start();
    honest = await f.run('honest', f.commit());
    assets = join(f.record('honest'), 'releases', f.tag, 'assets');
    published = join(f.record('honest'), 'npm-publish');
  });
  after(() => f.dispose());

  void it('runs every step of release.yml for the tag and succeeds', () => {
    assert.equal(honest.conclusion, 'success', JSON.stringify(honest.jobs, null, 1));
    // One job, keyless: each SATHOS step asked for a Sigstore token, the gate one for its deploy.
    const audiences = honest.tokenRequests.map((r) => r.audience);
    assert.equal(audiences.filter((a) => a === 'sigstore').length >= 5, true, String(audiences));
    assert.ok(audiences.includes('sathos-deploy:release'), String(audiences));
  });

  void it('creates the GitHub release with the tarballs, the chain, the provenance and SHA256SUMS', () => {
    const expected = [
      'SHA256SUMS',
      `sathos-actions-${f.tag}.tar.gz`,
      `sathos-cli-${version}.tgz`,
      `sathos-core-${version}.tgz`,
      `sathos-${f.tag}.chain.jsonl`,
      `sathos-${f.tag}.provenance.sigstore.jsonl`,
    ];
    assert.deepEqual(readdirSync(assets).sort(), expected.sort());
    const created = readFileSync(join(assets, '..', 'create.args'), 'utf8').split('\n');
    assert.ok(created.includes('--verify-tag'), created.join(' '));
    const sums = readFileSync(join(assets, 'SHA256SUMS'), 'utf8').trim().split('\n');
    assert.deepEqual(
      sums,
      expected.filter((n) => n !== 'SHA256SUMS').map((n) => `${sha256(join(assets, n))}  ${n}`),
    );
  });

  void it('publishes to npm, with provenance, the very tarballs the chain attests', () => {
    for (const name of [`sathos-cli-${version}.tgz`, `sathos-core-${version}.tgz`])
      assert.equal(sha256(join(published, name)), sha256(join(assets, name)), name);
    const log = readFileSync(join(f.record('honest'), 'npm.log'), 'utf8')
      .trim()
      .split('\n');
    // Exactly these npm commands were stood in; pack, pack:core and sbom ran for real.
    assert.deepEqual(log, [
      'ci --no-audit --no-fund --strict-allow-scripts',
      'run build',
      'run test:junit',
      'audit signatures',
      `publish release/sathos-core-${version}.tgz --provenance --access public`,
      `publish release/sathos-cli-${version}.tgz --provenance --access public`,
    ]);
  });

  void it('sathos verify-chain accepts the published chain for the CLI tarball, and for all three', () => {
    const chain = join(assets, `sathos-${f.tag}.chain.jsonl`);
    const one = verifyChain(chain, [cli()]);
    assert.equal(one.status, 0, JSON.stringify(one.json));
    assert.equal(one.json.verified, true);
    const all = verifyChain(chain, [
      cli(),
      join(assets, `sathos-core-${version}.tgz`),
      join(assets, `sathos-actions-${f.tag}.tar.gz`),
    ]);
    assert.equal(all.status, 0, JSON.stringify(all.json));
  });

  void it('refuses a CLI tarball changed after the gate (exit 1)', () => {
    const tampered = join(f.repo.root, `sathos-cli-${version}.tgz`);
    const bytes = readFileSync(cli());
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    writeFileSync(tampered, bytes);
    const verdict = verifyChain(join(assets, `sathos-${f.tag}.chain.jsonl`), [tampered]);
    assert.equal(verdict.status, 1, JSON.stringify(verdict.json));
    assert.equal(verdict.json.verified, false);
  });

  void it('refuses the chain with the gate decision cut out (exit 1)', () => {
    const lines = readFileSync(join(assets, `sathos-${f.tag}.chain.jsonl`), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const cut = join(f.repo.root, 'cut.chain.jsonl');
    const decision = lines.findIndex((l) =>
      Buffer.from(
        (JSON.parse(l) as { dsseEnvelope?: { payload?: string } }).dsseEnvelope?.payload ?? '',
        'base64',
      )
        .toString('utf8')
        .includes('"stage":"decision"'),
    );
    assert.ok(decision > 0, 'the chain holds a decision record');
    writeFileSync(cut, `${lines.filter((_, i) => i !== decision).join('\n')}\n`);
    const verdict = verifyChain(cut, [cli()]);
    assert.equal(verdict.status, 1, JSON.stringify(verdict.json));
  });

  /** A run that must stop at the source step: nothing released, nothing published. */
  function assertStoppedAtSource(result: RunResult, name: string, why: RegExp): void {
    assert.equal(result.conclusion, 'failure');
    const errors = result.jobs.release?.errors ?? [];
    assert.ok(
      errors.some((e) => why.test(e) && !e.includes('\n')),
      errors.join('\n'),
    );
    assert.equal(existsSync(join(f.record(name), 'releases')), false, 'no release created');
    assert.equal(existsSync(join(f.record(name), 'npm-publish')), false, 'nothing published');
    assert.equal(readFileSync(join(f.record(name), 'npm.log'), 'utf8'), '', 'no build ran');
  }

  void it('stops at the source step when the tagged commit is not signed', async () => {
    const result = await f.run('unsigned', f.commit({ unsigned: true }));
    assertStoppedAtSource(result, 'unsigned', /^COMMIT_REJECTED: .*the commit is not signed$/);
  });

  void it('releases nothing when a step changes the attested CLI tarball after the build', async () => {
    // A test in the tagged commit that passes and, on the way, appends to the tarball the build
    // attested: the step the test stand-in runs for real is this file.
    const result = await f.run(
      'tampered',
      f.commit({
        files: {
          'packages/core/src/digest.test.ts': [
            "import { test } from 'node:test';",
            "import { appendFileSync, readdirSync } from 'node:fs';",
            "void test('passes', () => {",
            "  for (const n of readdirSync('release').filter((n) => n.startsWith('sathos-cli-')))",
            "    appendFileSync(`release/${n}`, 'x');",
            '});',
            '',
          ].join('\n'),
        },
      }),
    );
    assert.equal(result.conclusion, 'failure');
    // The next step verifying the chain refuses the test record's tarball as not what was built.
    const errors = result.jobs.release?.errors ?? [];
    assert.ok(
      errors.some((e) => /^SUBJECT_DISCONTINUITY: .*sathos-cli-.*not what was built$/.test(e)),
      errors.join('\n'),
    );
    assert.ok(!result.tokenRequests.some((r) => r.audience === 'sathos-deploy:release'));
    assert.equal(existsSync(join(f.record('tampered'), 'releases')), false, 'no release created');
    assert.equal(existsSync(join(f.record('tampered'), 'npm-publish')), false, 'nothing published');
  });

  void it('fails closed with one clear line while the policy names no maintainer key', async () => {
    const result = await f.run('no-maintainer', f.commit({ noMaintainer: true }));
    assertStoppedAtSource(
      result,
      'no-maintainer',
      /^COMMIT_REJECTED: .*the signing key is not in allowed_signers$/,
    );
  });
});
