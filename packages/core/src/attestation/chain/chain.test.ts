import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SathosError, type ErrorCode } from '../../errors.js';
import {
  CHAIN_LIMITS,
  decodeRecords,
  headsOf,
  linkRef,
  nextLink,
  parseChainText,
  type PlannedRecord,
} from './chain.js';
import { sha256Hex } from '../../digest.js';
import {
  TRANSITION_PREDICATE_TYPE,
  buildTransitionStatement,
  type NextLink,
  type RunBinding,
} from '../record/transition.js';
import { STATEMENT_TYPE } from '../record/statement.js';

function hasCode(code: ErrorCode, pattern?: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof SathosError, `expected a SathosError, got ${String(error)}`);
    assert.equal(error.code, code, `got ${error.code}: ${error.line}`);
    if (pattern !== undefined) assert.match(error.line, pattern);
    return true;
  };
}

const RUN: RunBinding = {
  repository: 'demo/hello-sathos',
  workflowRef: 'demo/hello-sathos/.github/workflows/release.yml@refs/heads/main',
  runId: '1001',
  runAttempt: 1,
  commit: 'a'.repeat(40),
};

/** A planned record with a made-up digest: nextLink reads statements, never signatures. */
function planned(name: string, stage: string, link: NextLink, terminal = false): PlannedRecord {
  const statement = buildTransitionStatement({
    stage,
    subjects: [{ name, digest: { sha256: sha256Hex(name) } }],
    run: RUN,
    link,
    actor: { kind: 'key', keyId: `sha256:${'b'.repeat(64)}` },
    terminal,
  });
  return { digest: sha256Hex(`record ${name}`), statement };
}

const genesis = planned('source', 'source', { sequence: 0, previous: [] });
const after = (...records: PlannedRecord[]): NextLink => nextLink(records);

/** A bundle whose DSSE payload is the JSON of `statement` (unsigned: decodeRecords does not verify). */
function dsse(statement: unknown): unknown {
  const payload = Buffer.from(
    typeof statement === 'string' ? statement : JSON.stringify(statement),
  );
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: 'application/vnd.in-toto+json',
      signatures: [],
    },
  };
}

void describe('parseChainText', () => {
  void it('parses one bundle per line and skips blank lines, keeping line numbers', () => {
    const lines = parseChainText('{"a":1}\n\n   \n{"b":2}\r\n');
    assert.deepEqual(lines, [
      { line: 1, bundle: { a: 1 } },
      { line: 4, bundle: { b: 2 } },
    ]);
  });

  void it('reads an empty text as no bundles', () => {
    assert.deepEqual(parseChainText(''), []);
  });

  void describe('when a line is not JSON', () => {
    void it('rejects the chain naming that line (MALFORMED_CHAIN)', () => {
      assert.throws(
        () => parseChainText('{"a":1}\n{"b":\n', 'chain.jsonl'),
        hasCode('MALFORMED_CHAIN', /^chain\.jsonl line 2: /),
      );
    });

    void it('rejects a line nested deeper than a bundle, before parsing it (MALFORMED_CHAIN)', () => {
      // 4 MiB of brackets on one line of a handed chain: seconds of JSON.parse per line otherwise.
      const deep = '['.repeat(CHAIN_LIMITS.maxLineBytes - 1);
      assert.throws(
        () => parseChainText(`{}\n${deep}\n`, 'chain.jsonl'),
        hasCode('MALFORMED_CHAIN', /^chain\.jsonl line 2: line nests deeper than 32 levels/),
      );
      // Brackets inside a string are text, not nesting.
      assert.equal(parseChainText(`{"a":"${'['.repeat(100)}"}`).length, 1);
    });
  });

  void describe('when the chain is too large', () => {
    void it('rejects a line longer than the line limit (TOO_LARGE)', () => {
      const long = `{"a":"${'x'.repeat(CHAIN_LIMITS.maxLineBytes)}"}`;
      assert.throws(() => parseChainText(`{}\n${long}\n`), hasCode('TOO_LARGE', /line 2: bundle/));
    });

    void it('rejects more bundles than the line limit (TOO_LARGE)', () => {
      const text = '{}\n'.repeat(CHAIN_LIMITS.maxLines + 1);
      assert.throws(
        () => parseChainText(text),
        hasCode('TOO_LARGE', new RegExp(`line ${CHAIN_LIMITS.maxLines + 1}: chain has more`)),
      );
    });

    void it('reads a text of more blank lines than an array can hold, without crashing', () => {
      // Under the byte limit, but past V8's largest array: splitting it aborted the process.
      const blanks = 135_000_000;
      const lines = parseChainText(`{"a":1}\n${'\n'.repeat(blanks)}{"b":2}\n`);
      assert.deepEqual(lines, [
        { line: 1, bundle: { a: 1 } },
        { line: blanks + 2, bundle: { b: 2 } },
      ]);
    });

    void it('rejects a text larger than the byte limit before splitting it (TOO_LARGE)', () => {
      assert.throws(
        () => parseChainText(' '.repeat(CHAIN_LIMITS.maxBytes + 1), 'big.jsonl'),
        hasCode('TOO_LARGE', /^big\.jsonl: chain is larger/),
      );
    });
  });
});

void describe('decodeRecords', () => {
  void it('decodes transition records with their link digest and skips evidence', () => {
    const payload = JSON.stringify(genesis.statement);
    const evidence = {
      _type: STATEMENT_TYPE,
      subject: [{ digest: { sha256: 'c'.repeat(64) } }],
      predicateType: 'https://slsa.dev/provenance/v1',
      predicate: {},
    };
    const records = decodeRecords([
      { line: 1, bundle: dsse(payload) },
      { line: 2, bundle: dsse(evidence) },
    ]);
    assert.deepEqual(records, [{ digest: sha256Hex(payload), statement: genesis.statement }]);
  });

  void describe('when a line is not a well-formed record', () => {
    void it('rejects a bundle with no DSSE envelope (MALFORMED_BUNDLE)', () => {
      assert.throws(
        () => decodeRecords([{ line: 3, bundle: { messageSignature: {} } }], 'c.jsonl'),
        hasCode('MALFORMED_BUNDLE', /^c\.jsonl line 3: /),
      );
    });

    void it('rejects a payload nested deeper than a statement before parsing it (MALFORMED_STATEMENT)', () => {
      // Records are decoded to plan the next link before any signature is checked.
      const bundle = {
        dsseEnvelope: {
          payloadType: 'application/vnd.in-toto+json',
          payload: Buffer.from('['.repeat(1_000_000)).toString('base64'),
          signatures: [],
        },
      };
      assert.throws(
        () => decodeRecords([{ line: 1, bundle }], 'chain.jsonl'),
        hasCode('MALFORMED_STATEMENT', /line 1: DSSE payload nests deeper than 128 levels/),
      );
    });

    void it('rejects a payload that is not JSON (MALFORMED_STATEMENT)', () => {
      assert.throws(
        () => decodeRecords([{ line: 1, bundle: dsse('not json') }]),
        hasCode('MALFORMED_STATEMENT', /not JSON/),
      );
    });

    void it('rejects a transition record with a bad field (MALFORMED_STATEMENT)', () => {
      const bad = {
        ...genesis.statement,
        predicate: { ...genesis.statement.predicate, sequence: -1 },
      };
      assert.throws(
        () => decodeRecords([{ line: 1, bundle: dsse(bad) }]),
        hasCode('MALFORMED_STATEMENT', /predicate\.sequence/),
      );
    });

    void it('rejects a record of the transition type that is no statement (MALFORMED_STATEMENT)', () => {
      const bad = { _type: STATEMENT_TYPE, subject: [], predicateType: TRANSITION_PREDICATE_TYPE };
      assert.throws(
        () => decodeRecords([{ line: 1, bundle: dsse(bad) }]),
        hasCode('MALFORMED_STATEMENT'),
      );
    });
  });
});

void describe('headsOf', () => {
  void it('returns each record no other names, once, even when duplicated', () => {
    const build = planned('build', 'build', after(genesis));
    assert.deepEqual(headsOf([genesis, build, build]), [build]);
  });
});

void describe('nextLink', () => {
  void it('gives an empty chain the genesis link', () => {
    assert.deepEqual(nextLink([]), { sequence: 0, previous: [] });
  });

  void it('follows the single head, bound to the genesis', () => {
    const build = planned('build', 'build', after(genesis));
    assert.deepEqual(build.statement.predicate.previous, [linkRef(genesis.digest)]);
    assert.deepEqual(after(genesis, build), {
      sequence: 2,
      genesis: { sha256: genesis.digest },
      previous: [linkRef(build.digest)],
    });
  });

  void it('joins parallel heads, their digests sorted, one past the highest sequence', () => {
    const amd = planned('amd64', 'build', after(genesis));
    const arm = planned('arm64', 'build', after(genesis));
    const lint = planned('lint', 'lint', after(genesis, arm));
    const link = after(genesis, lint, amd, arm);
    assert.equal(link.sequence, 3);
    assert.deepEqual(link.previous, [amd.digest, lint.digest].sort().map(linkRef));
  });

  void describe('when the chain cannot be extended', () => {
    void it('refuses to follow a terminal record (CHAIN_BROKEN)', () => {
      const deploy = planned('deploy', 'deploy', after(genesis), true);
      assert.throws(() => after(genesis, deploy), hasCode('CHAIN_BROKEN', /is terminal/));
    });

    void it('refuses a chain with two genesis records (GENESIS_INVALID)', () => {
      const second = planned('other source', 'source', { sequence: 0, previous: [] });
      assert.throws(() => after(genesis, second), hasCode('GENESIS_INVALID', /found 2/));
    });

    void it('refuses a chain with no genesis record (GENESIS_INVALID)', () => {
      const build = planned('build', 'build', after(genesis));
      assert.throws(() => after(build), hasCode('GENESIS_INVALID', /found 0/));
    });
  });
});
