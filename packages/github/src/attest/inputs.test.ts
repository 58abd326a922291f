import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readAttestInputs } from './inputs.js';
import { attestSummaries, SUMMARY_MAX_ROWS } from './summary.js';
import { hashingProgress } from './runtime.js';

const HEX = 'ab'.repeat(32);
const read = (inputs: Record<string, string>, stage?: string) =>
  readAttestInputs({ GITHUB_WORKSPACE: '/ws', ...inputs }, stage === undefined ? {} : { stage });

void describe('readAttestInputs', () => {
  void it('reads the subjects as actions/attest names them, with our own inputs', () => {
    const inputs = read(
      {
        'INPUT_SUBJECT-PATH': 'dist/*.tar\n!dist/skip.tar',
        'INPUT_SUBJECT-DIGEST': `lib.so@sha256:${HEX}`,
        INPUT_STAGE: 'scan',
        INPUT_SARIF: 'a.sarif\nb.sarif',
        INPUT_RUN: 'make scan',
      },
      undefined,
    );
    assert.deepEqual(inputs.subjects, {
      paths: ['dist/*.tar', '!dist/skip.tar'],
      digests: [`lib.so@sha256:${HEX}`],
      images: [],
    });
    assert.equal(inputs.stage, 'scan');
    assert.deepEqual(inputs.evidence.sarif, ['a.sarif', 'b.sarif']);
    assert.equal(inputs.run, 'make scan');
    assert.equal(inputs.chain, '.sathos/chain.jsonl');
    assert.equal(inputs.signing.kind, 'keyless');
    assert.equal(inputs.workspace, '/ws');
  });

  void it('names a bare digest by subject-name, and as an image with push-to-registry', () => {
    const file = read(
      { 'INPUT_SUBJECT-NAME': 'app', 'INPUT_SUBJECT-DIGEST': `sha256:${HEX}` },
      'build',
    );
    assert.deepEqual(file.subjects.digests, [`app@sha256:${HEX}`]);
    const image = read(
      {
        'INPUT_SUBJECT-NAME': 'ghcr.io/o/app',
        'INPUT_SUBJECT-DIGEST': `sha256:${HEX}`,
        'INPUT_PUSH-TO-REGISTRY': 'true',
      },
      'build',
    );
    assert.deepEqual(image.subjects.images, [`ghcr.io/o/app@sha256:${HEX}`]);
    assert.equal(image.pushToRegistry, true);
  });

  void it('refuses a bare digest without a name, and a name without a bare digest', () => {
    assert.throws(
      () => read({ 'INPUT_SUBJECT-DIGEST': `sha256:${HEX}` }, 'build'),
      /"subject-name"/,
    );
    assert.throws(
      () => read({ 'INPUT_SUBJECT-NAME': 'app', 'INPUT_SUBJECT-PATH': 'x' }, 'build'),
      /give that digest/,
    );
  });

  void it('falls back to $GITHUB_ARTIFACTS_LIST only when no subject input is given', () => {
    const listed = read({ GITHUB_ARTIFACTS_LIST: '/runner/artifacts' }, 'build');
    assert.equal(listed.subjects.artifactsList, '/runner/artifacts');
    const named = read(
      { GITHUB_ARTIFACTS_LIST: '/runner/artifacts', 'INPUT_SUBJECT-PATH': 'a' },
      'build',
    );
    assert.equal(named.subjects.artifactsList, undefined);
    assert.throws(() => read({}, 'build'), /no subject: give input "subject-path"/);
  });

  void it('refuses a stage that is not a stage name, and the stages other actions record', () => {
    assert.throws(
      () => read({ 'INPUT_SUBJECT-PATH': 'a', INPUT_STAGE: 'Test Stage' }),
      /lowercase/,
    );
    assert.throws(() => read({ 'INPUT_SUBJECT-PATH': 'a', INPUT_STAGE: 'build' }), /attest-build/);
    assert.throws(
      () => read({ 'INPUT_SUBJECT-PATH': 'a', INPUT_STAGE: 'source' }),
      /verify-commit-signature/,
    );
  });

  void it('refuses a signing kind it does not know', () => {
    assert.throws(
      () => read({ 'INPUT_SUBJECT-PATH': 'a', INPUT_SIGNING: 'sigstore' }, 'build'),
      /"keyless", "keyless-github", "key"/,
    );
  });
});

void describe('attestSummaries', () => {
  void it(`lists at most ${SUMMARY_MAX_ROWS} subjects and says how many more`, () => {
    const subjects = Array.from({ length: SUMMARY_MAX_ROWS + 7 }, (_, i) => ({
      name: `f${i}`,
      digest: { sha256: HEX },
    }));
    const [listed] = attestSummaries({
      stage: 'build',
      subjects,
      chain: [],
      chainPath: 'c.jsonl',
      lines: [],
    });
    assert.ok(listed !== undefined);
    assert.equal(listed.table?.rows.length, SUMMARY_MAX_ROWS);
    assert.deepEqual(listed.lines, ['…and 7 more subject(s) not listed here.']);
  });
});

void describe('hashingProgress', () => {
  void it('logs one line per interval, not one per chunk', () => {
    const lines: string[] = [];
    let clock = 0;
    const report = hashingProgress({ info: (l) => lines.push(l) }, () => clock, 5000);
    const p = { files: 1, totalFiles: 4, bytes: 3 * 1024 * 1024, totalBytes: 8 * 1024 * 1024 };
    report(p);
    clock = 4999;
    report(p);
    clock = 5000;
    report(p);
    assert.deepEqual(lines, ['hashing: 1/4 files, 3.0 of 8.0 MiB']);
  });
});
