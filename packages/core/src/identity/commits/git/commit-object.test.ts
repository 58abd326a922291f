import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SathosError } from '../../../errors.js';
import { MAX_COMMIT_BYTES, parseCommit } from './commit-object.js';

const ID = 'a'.repeat(40);
const TREE = `tree ${'b'.repeat(40)}\n`;
const PEOPLE = 'author A <a@x> 1700000000 +0000\ncommitter C <c@x> 1700000001 +0100\n';
const SIG = 'gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n';

function code(expected: string): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof SathosError);
    assert.equal(error.code, expected, error.line);
    return true;
  };
}

describe('parseCommit', () => {
  describe('when the commit is signed', () => {
    it('splits the signature off and keeps every other byte as the payload', () => {
      const raw = `${TREE}parent ${'c'.repeat(40)}\n${PEOPLE}${SIG}mergetag object x\n  more\n\nmsg\n\n gpgsig in body\n`;
      const commit = parseCommit(ID, Buffer.from(raw));
      assert.equal(
        commit.signature,
        '-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n',
      );
      assert.equal(
        commit.payload.toString(),
        `${TREE}parent ${'c'.repeat(40)}\n${PEOPLE}mergetag object x\n  more\n\nmsg\n\n gpgsig in body\n`,
      );
      assert.deepEqual(commit.parents, ['c'.repeat(40)]);
      assert.equal(commit.committer.email, 'c@x');
      assert.equal(commit.committer.time.getTime(), 1700000001000);
    });

    it('takes gpgsig-sha256 only in a SHA-256 repository', () => {
      const raw = `tree ${'b'.repeat(64)}\n${PEOPLE}${SIG.replace('gpgsig', 'gpgsig-sha256')}\nm\n`;
      assert.equal(
        parseCommit('d'.repeat(64), Buffer.from(raw)).signature?.startsWith('-----BEGIN'),
        true,
      );
      const sha1 = `${TREE}${PEOPLE}${SIG.replace('gpgsig', 'gpgsig-sha256')}\nm\n`;
      assert.equal(parseCommit(ID, Buffer.from(sha1)).signature, undefined);
    });
  });

  describe('when the object is hostile or malformed', () => {
    const cases: [string, string, string][] = [
      ['two signature headers', `${TREE}${PEOPLE}${SIG}${SIG}\nm\n`, 'MALFORMED_COMMIT'],
      ['no tree first', `${PEOPLE}${TREE}\nm\n`, 'MALFORMED_COMMIT'],
      ['no committer', `${TREE}author A <a@x> 1 +0000\n\nm\n`, 'MALFORMED_COMMIT'],
      ['no end of headers', `${TREE}${PEOPLE}`, 'MALFORMED_COMMIT'],
      ['a header without value', `${TREE}${PEOPLE}junk\n\nm\n`, 'MALFORMED_COMMIT'],
      ['a continuation first', ` x\n${TREE}${PEOPLE}\nm\n`, 'MALFORMED_COMMIT'],
      ['a bad parent', `${TREE}parent zz\n${PEOPLE}\nm\n`, 'MALFORMED_COMMIT'],
      ['two committers', `${TREE}${PEOPLE}committer C <c@x> 1 +0000\n\nm\n`, 'MALFORMED_COMMIT'],
      [
        'a committer time past the last Date',
        `${TREE}author A <a@x> 1 +0000\ncommitter C <c@x> 999999999999999 +0000\n\nm\n`,
        'MALFORMED_COMMIT',
      ],
    ];
    for (const [what, raw, expected] of cases) {
      it(`rejects ${what} with ${expected}`, () => {
        assert.throws(() => parseCommit(ID, Buffer.from(raw)), code(expected));
      });
    }

    it('refuses an oversized object before parsing', () => {
      assert.throws(
        () => parseCommit(ID, Buffer.alloc(MAX_COMMIT_BYTES + 1, 0x61)),
        code('TOO_LARGE'),
      );
    });

    it('refuses endless header lines', () => {
      const raw = `${TREE}${PEOPLE}${'x y\n'.repeat(5000)}\nm\n`;
      assert.throws(() => parseCommit(ID, Buffer.from(raw)), code('MALFORMED_COMMIT'));
    });
  });
});
