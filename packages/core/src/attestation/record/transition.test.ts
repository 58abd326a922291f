import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SathosError } from '../../errors.js';
import {
  RECORD_LIMITS,
  TRANSITION_PREDICATE_TYPE,
  actorFor,
  assertTransitionStatement,
  buildTransitionStatement,
  type TransitionInput,
} from './transition.js';
import { STATEMENT_TYPE } from './statement.js';

const SHA = (c: string): { sha256: string } => ({ sha256: c.repeat(64) });
const KEY_ID = `sha256:${'b'.repeat(64)}`;

/** A valid build record (sequence 1, after the genesis); tests break one or more fields. */
function input(overrides: Partial<TransitionInput> = {}): TransitionInput {
  return {
    stage: 'build',
    subjects: [{ name: 'app.tar', digest: SHA('c') }],
    run: {
      repository: 'demo/hello-sathos',
      workflowRef: 'demo/hello-sathos/.github/workflows/release.yml@refs/heads/main',
      runId: '1001',
      runAttempt: 1,
      commit: 'a'.repeat(40),
    },
    link: { sequence: 1, genesis: SHA('d'), previous: [{ digest: SHA('d') }] },
    actor: { kind: 'key', keyId: KEY_ID },
    ...overrides,
  };
}

/** Asserts a MALFORMED_STATEMENT that names every one of `fields`. */
function malformed(...fields: string[]): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof SathosError, `expected a SathosError, got ${String(error)}`);
    assert.equal(error.code, 'MALFORMED_STATEMENT', error.line);
    for (const field of fields)
      assert.ok(error.message.includes(field), `${field} not in: ${error.message}`);
    return true;
  };
}

void describe('buildTransitionStatement', () => {
  void it('builds an in-toto statement with the transition predicate', () => {
    const statement = buildTransitionStatement(input({ terminal: true, evidence: [] }));
    assert.equal(statement._type, STATEMENT_TYPE);
    assert.equal(statement.predicateType, TRANSITION_PREDICATE_TYPE);
    assert.deepEqual(statement.predicate, {
      stage: 'build',
      run: input().run,
      sequence: 1,
      genesis: SHA('d'),
      previous: [{ digest: SHA('d') }],
      actor: { kind: 'key', keyId: KEY_ID },
      evidence: [],
      terminal: true,
    });
  });

  void it('leaves out terminal unless it is true', () => {
    const statement = buildTransitionStatement(input({ terminal: false }));
    assert.equal('terminal' in statement.predicate, false);
  });

  void describe('when fields are bad', () => {
    void it('names every bad field in one error', () => {
      const bad = input({
        stage: 'Build!',
        run: { ...input().run, runAttempt: 0, commit: 'not-a-commit', repository: '' },
        actor: { kind: 'key', keyId: 'abc' },
        policy: { uri: '', digest: { sha256: 'short' }, decision: 'maybe' as 'allow', reasons: [] },
        evidence: [{ predicateType: 'not a uri', digest: SHA('e') }],
        subjects: [{ name: 'no digest' }],
      });
      assert.throws(
        () => buildTransitionStatement(bad),
        malformed(
          'subject[0].digest',
          'predicate.stage',
          'predicate.run.repository',
          'predicate.run.runAttempt',
          'predicate.run.commit',
          'predicate.actor.keyId',
          'predicate.policy.digest',
          'predicate.policy.uri',
          'predicate.policy.decision',
          'predicate.evidence[0].predicateType',
        ),
      );
    });

    void it('names the record being built', () => {
      assert.throws(
        () => buildTransitionStatement(input({ stage: 'BAD' })),
        (error: unknown) => error instanceof SathosError && error.where === 'new BAD record',
      );
    });

    void it('rejects a certificate actor without issuer or subject', () => {
      assert.throws(
        () =>
          buildTransitionStatement(
            input({ actor: { kind: 'certificate', issuer: '', subject: '' } }),
          ),
        malformed('predicate.actor.issuer', 'predicate.actor.subject'),
      );
    });

    void it('rejects more previous links than the limit', () => {
      const previous = Array.from({ length: RECORD_LIMITS.maxPrevious + 1 }, () => ({
        digest: SHA('d'),
      }));
      assert.throws(
        () =>
          buildTransitionStatement(input({ link: { sequence: 1, genesis: SHA('d'), previous } })),
        malformed(`predicate.previous has more than ${RECORD_LIMITS.maxPrevious}`),
      );
    });
  });

  void describe('when the genesis invariants do not hold', () => {
    void it('accepts a genesis record with neither previous nor genesis', () => {
      const statement = buildTransitionStatement(
        input({ stage: 'source', link: { sequence: 0, previous: [] } }),
      );
      assert.equal(statement.predicate.sequence, 0);
      assert.equal('genesis' in statement.predicate, false);
    });

    void it('rejects a genesis record (sequence 0) that names a previous and a genesis', () => {
      assert.throws(
        () =>
          buildTransitionStatement(
            input({ link: { sequence: 0, genesis: SHA('d'), previous: [{ digest: SHA('d') }] } }),
          ),
        malformed('(sequence 0) has no previous', '(sequence 0) has no genesis field'),
      );
    });

    void it('rejects a later record with neither previous nor genesis', () => {
      assert.throws(
        () => buildTransitionStatement(input({ link: { sequence: 3, previous: [] } })),
        malformed('must name its previous', 'predicate.genesis must be'),
      );
    });

    void it('rejects a negative or oversized sequence', () => {
      for (const sequence of [-1, 1.5, RECORD_LIMITS.maxSequence + 1]) {
        assert.throws(
          () =>
            buildTransitionStatement(
              input({ link: { sequence, genesis: SHA('d'), previous: [] } }),
            ),
          malformed('predicate.sequence must be a non-negative integer'),
        );
      }
    });
  });
});

void describe('assertTransitionStatement', () => {
  const valid = buildTransitionStatement(input());

  void it('accepts a record built by buildTransitionStatement', () => {
    assert.doesNotThrow(() => {
      assertTransitionStatement(JSON.parse(JSON.stringify(valid)));
    });
  });

  void it('rejects a statement of another predicate type', () => {
    assert.throws(
      () => {
        assertTransitionStatement(
          { ...valid, predicateType: 'https://slsa.dev/provenance/v1' },
          'line 4',
        );
      },
      malformed(`predicateType must be ${TRANSITION_PREDICATE_TYPE}`),
    );
  });

  void it('rejects a value that is not a statement', () => {
    for (const value of [null, [], 'text', { predicate: valid.predicate }]) {
      assert.throws(() => {
        assertTransitionStatement(value);
      }, malformed());
    }
  });

  void it('rejects a terminal flag that is not a boolean', () => {
    const predicate = { ...valid.predicate, terminal: 'yes' };
    assert.throws(() => {
      assertTransitionStatement({ ...valid, predicate });
    }, malformed('predicate.terminal must be a boolean'));
  });

  void it('rejects more subjects than the limit', () => {
    const subject = Array.from({ length: RECORD_LIMITS.maxSubjects + 1 }, () => ({
      digest: SHA('c'),
    }));
    assert.throws(
      () => {
        assertTransitionStatement({ ...valid, subject });
      },
      malformed(`subject has more than ${RECORD_LIMITS.maxSubjects}`),
    );
  });
});

void describe('actorFor', () => {
  void it('claims exactly what the signer is', () => {
    assert.deepEqual(actorFor({ kind: 'key', keyId: KEY_ID }), { kind: 'key', keyId: KEY_ID });
    const claims = { runnerEnvironment: 'github-hosted' };
    assert.deepEqual(
      actorFor({ kind: 'certificate', issuer: 'https://issuer', subject: 'me', claims }),
      { kind: 'certificate', issuer: 'https://issuer', subject: 'me', claims },
    );
  });
});
