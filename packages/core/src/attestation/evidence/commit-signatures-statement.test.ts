import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMIT_SIGNATURES_V1 } from './predicates.js';
import { commitSignaturesEvidence, sourceSubjects } from './commit-signatures-statement.js';
import type { CommitVerdict } from '../../identity/commits/types.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const verified = (commit: string): CommitVerdict => ({
  commit,
  verdict: 'verified',
  format: 'ssh',
  signer: 'dev@example.com',
  key: 'SHA256:abc',
  reason: 'good signature from an allowed signer',
});
const hasCode = (code: string) => (e: unknown) => (e as { code?: unknown }).code === code;

describe('commitSignaturesEvidence', () => {
  it('records every verified commit about the given subjects', () => {
    const statement = commitSignaturesEvidence({
      subjects: sourceSubjects('acme/app', A, A),
      verdicts: [verified(B), verified(A)],
      verifier: 'test',
    });
    assert.equal(statement.predicateType, COMMIT_SIGNATURES_V1);
    assert.deepEqual(statement.subject, [{ name: 'git+acme/app', digest: { gitCommit: A } }]);
    const predicate = statement.predicate as { commits: { commit: string }[] };
    assert.deepEqual(
      predicate.commits.map((c) => c.commit),
      [B, A],
    );
  });

  describe('when the range is not verified', () => {
    it('refuses a rejected commit', () => {
      const rejected: CommitVerdict = {
        ...verified(A),
        verdict: 'rejected',
        reason: 'unknown key',
      };
      assert.throws(
        () =>
          commitSignaturesEvidence({
            subjects: [],
            verdicts: [verified(B), rejected],
            verifier: 't',
          }),
        hasCode('COMMIT_REJECTED'),
      );
    });

    it('refuses an unsigned commit even if marked verified', () => {
      const unsigned: CommitVerdict = { ...verified(A), format: 'none' };
      assert.throws(
        () => commitSignaturesEvidence({ subjects: [], verdicts: [unsigned], verifier: 't' }),
        hasCode('COMMIT_REJECTED'),
      );
    });

    it('refuses an empty range', () => {
      assert.throws(
        () => commitSignaturesEvidence({ subjects: [], verdicts: [], verifier: 't' }),
        hasCode('COMMIT_REJECTED'),
      );
    });
  });
});

describe('sourceSubjects', () => {
  it("names the run's commit and a differing head (a pull request's test merge)", () => {
    assert.deepEqual(
      sourceSubjects('acme/app', A, B).map((s) => s.digest?.gitCommit),
      [A, B],
    );
  });
});
