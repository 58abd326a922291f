// No mutation of a signed chain verifies as another chain. Two genuine key-signed chains (two runs,
// the same key) are mutated as bytes, as lines (dropped, repeated, reordered, taken from the other
// run) and as JSON: verifyChain gives a verdict or a SathosError, and a verified chain holds exactly
// the records of one genuine chain.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  buildTransitionStatement,
  createBundleVerifier,
  parseChainText,
  parsePublicKeys,
  sha256Hex,
  trustFromJSON,
  verifyChain,
  type NextLink,
} from '@sathos/core';
import { fuzzParameters, hostileText, judge, shown, Tally } from './harness.js';
import { bundleOf, PROVENANCE } from './samples.js';

const STAGES = ['source', 'build', 'test'];
const COMMIT = 'a'.repeat(40);

/** A genuine chain of one run: source, then build and test each linked to the record before. */
function signedChain(key: KeyObject, keyId: string, runId: string): string[] {
  const lines: string[] = [];
  let genesis: string | undefined;
  let previous: string | undefined;
  STAGES.forEach((stage, sequence) => {
    const link: NextLink = {
      sequence,
      previous: previous === undefined ? [] : [{ digest: { sha256: previous } }],
      ...(genesis === undefined ? {} : { genesis: { sha256: genesis } }),
    };
    const statement = buildTransitionStatement({
      stage,
      // The genesis names the run's commit; later stages name the artifact built from it.
      subjects:
        sequence === 0
          ? [{ name: 'source', digest: { gitCommit: COMMIT } }]
          : [{ name: 'app.bin', digest: { sha256: sha256Hex(`${runId} app.bin`) } }],
      run: {
        repository: 'demo/hello-sathos',
        workflowRef: 'demo/hello-sathos/.github/workflows/release.yml@refs/heads/main',
        runId,
        runAttempt: 1,
        commit: COMMIT,
      },
      link,
      actor: { kind: 'key', keyId },
    });
    const payload = Buffer.from(JSON.stringify(statement));
    lines.push(JSON.stringify(bundleOf(payload, key)));
    previous = sha256Hex(payload);
    genesis ??= previous;
  });
  return lines;
}

/** Line edits: drop, repeat, move, or take a line of the other run's chain. */
const lineEdits = fc.array(
  fc.record({
    kind: fc.constantFrom('drop', 'repeat', 'move', 'foreign'),
    at: fc.nat(),
    to: fc.nat(),
  }),
  { minLength: 1, maxLength: 3 },
);

function editLines(
  lines: readonly string[],
  foreign: readonly string[],
  edits: readonly { kind: string; at: number; to: number }[],
): string[] {
  const out = [...lines];
  for (const edit of edits) {
    if (out.length === 0) break;
    const at = edit.at % out.length;
    const line = out[at] ?? '';
    if (edit.kind === 'drop') out.splice(at, 1);
    else if (edit.kind === 'repeat') out.splice(edit.to % (out.length + 1), 0, line);
    else if (edit.kind === 'move') out.splice(edit.to % out.length, 0, ...out.splice(at, 1));
    else out[at] = foreign[edit.to % foreign.length] ?? line;
  }
  return out;
}

void describe('no mutation of a signed chain verifies another chain', () => {
  void it('verifyChain: a verdict on one genuine chain, or a SathosError', (t) => {
    const tally = new Tally('verify chain');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const keys = parsePublicKeys(pem, 'fuzz.pem');
    const keyId = keys[0]?.keyId ?? '';
    const checker = createBundleVerifier(trustFromJSON(JSON.parse(PROVENANCE.root), 'root'), {
      keys,
      allowUnloggedKeySignatures: true,
    });
    const requirements = {
      stages: STAGES,
      identities: Object.fromEntries(STAGES.map((s) => [s, [{ keyId }]])),
      requireTerminal: false,
    };
    const verify = (text: string) =>
      verifyChain({
        lines: parseChainText(text, 'fuzz.jsonl'),
        checker,
        requirements,
        artifacts: [],
      });
    const ours = signedChain(privateKey, keyId, '1001');
    const theirs = signedChain(privateKey, keyId, '2002');
    // What a verified chain may be: exactly the records of one of the two runs.
    const genuine = new Set(
      [ours, theirs].map((lines) =>
        verify(lines.join('\n'))
          .records.map((r) => r.digest)
          .sort()
          .join(),
      ),
    );
    assert.equal(genuine.size, 2);
    const input = fc.oneof(
      { weight: 2, arbitrary: hostileText([ours.join('\n')]) },
      { weight: 2, arbitrary: lineEdits.map((edits) => editLines(ours, theirs, edits).join('\n')) },
    );
    fc.assert(
      fc.property(input, (text) => {
        const result = judge(
          tally,
          () => shown(text),
          () => verify(text),
        );
        if (!result.ok) return;
        tally.verified += 1;
        const digests = result.value.records
          .map((r) => r.digest)
          .sort()
          .join();
        const same = genuine.has(digests);
        if (!same) tally.falseAccepts += 1;
        assert.ok(same, `false accept: a mutated chain verified: ${shown(text)}`);
      }),
      fuzzParameters(0.5),
    );
    tally.report(t);
  });
});
