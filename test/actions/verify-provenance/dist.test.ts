// The committed bundle itself, run as the runner runs it (node dist/index.js with INPUT_* and the
// runner's files): with no inputs it fails naming the missing input; over GitHub's real attestation
// it verifies with the right owner and fails with a wrong one, offline.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const DIST = resolve(import.meta.dirname, '../../../actions/verify-provenance/dist/index.js');
const GH = resolve(
  import.meta.dirname,
  '../../fixtures/vectors/cli-cli/pkg/cmd/attestation/test/data',
);

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly outputs: string;
  readonly summary: string;
}

void describe('actions/verify-provenance dist/index.js', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sathos-provenance-dist-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function runDist(inputs: Record<string, string>): Promise<Finished> {
    const outputs = join(dir, `out-${String(Math.random()).slice(2)}`);
    const summary = join(dir, `summary-${String(Math.random()).slice(2)}`);
    await writeFile(outputs, '');
    await writeFile(summary, '');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      GITHUB_OUTPUT: outputs,
      GITHUB_STEP_SUMMARY: summary,
    };
    for (const [name, value] of Object.entries(inputs)) {
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    }
    return new Promise((done) => {
      execFile(process.execPath, [DIST], { env, cwd: dir }, (error, stdout) => {
        void Promise.all([readFile(outputs, 'utf8'), readFile(summary, 'utf8')]).then(([o, s]) => {
          done({
            code: error === null ? 0 : (error.code as number),
            stdout,
            outputs: o,
            summary: s,
          });
        });
      });
    });
  }

  void it('with no inputs fails with one ::error:: line naming the missing input', async () => {
    const finished = await runDist({});
    assert.equal(finished.code, 1);
    const errors = finished.stdout.split('\n').filter((l) => l.startsWith('::error'));
    assert.equal(errors.length, 1, finished.stdout);
    assert.match(errors[0] ?? '', /^::error::USAGE: input "artifacts" is required/);
  });

  const attestation = {
    artifacts: join(GH, 'github_provenance_demo-0.0.12-py3-none-any.whl'),
    bundles: join(GH, 'github_provenance_demo-0.0.12-py3-none-any-bundle.jsonl'),
    repo: 'actions/attest-demo',
    'signer-workflow': 'actions/attest-demo/.github/workflows/build-python.yml',
  };

  void it("verifies GitHub's attestation with the right owner and draws it in the summary", async () => {
    const finished = await runDist({ ...attestation, owner: 'actions' });
    assert.equal(finished.code, 0, finished.stdout);
    assert.match(finished.outputs, /verified<<.*\ntrue\n/);
    assert.match(finished.summary, /```mermaid\nflowchart TD\n/);
  });

  void it('fails with a wrong owner: an ::error:: annotation and verified=false', async () => {
    const finished = await runDist({ ...attestation, owner: 'evil-org' });
    assert.equal(finished.code, 1);
    assert.match(finished.stdout, /::error title=Provenance rejected::.*IDENTITY_MISMATCH/);
    assert.match(finished.outputs, /verified<<.*\nfalse\n/);
  });
});
