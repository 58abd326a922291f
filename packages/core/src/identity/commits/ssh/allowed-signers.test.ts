import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SathosError } from '../../../errors.js';
import { matchPatternList, parseAllowedSigners, parseSshTimestamp } from './allowed-signers.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOfE1TDeSNJjvnETpdbd1DXfBkzQnzy9ZjWHdMCwPp+w';

function invalid(fragment: string): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof SathosError);
    assert.equal(error.code, 'POLICY_INVALID', error.line);
    assert.ok(error.line.includes(fragment), error.line);
    return true;
  };
}

describe('parseAllowedSigners', () => {
  describe('when the file is well formed', () => {
    it('reads principals, options and the key, skipping comments and blank lines', () => {
      const text = `# team\n\n"a@x,b@x" cert-authority,namespaces="git,file",valid-after="20240101",valid-before="20250102030405Z" ${KEY} comment\nc@x ${KEY}\n`;
      const entries = parseAllowedSigners(text);
      assert.equal(entries.length, 2);
      const first = entries[0];
      const second = entries[1];
      assert.ok(first !== undefined && second !== undefined);
      assert.equal(first.line, 3);
      assert.equal(first.principals, 'a@x,b@x');
      assert.equal(first.certAuthority, true);
      assert.equal(first.namespaces, 'git,file');
      assert.equal(first.validAfter?.toISOString(), '2024-01-01T00:00:00.000Z');
      assert.equal(first.validBefore?.toISOString(), '2025-01-02T03:04:05.000Z');
      assert.equal(second.certAuthority, false);
      assert.equal(second.key.type, 'ssh-ed25519');
    });
  });

  describe('when a line is wrong', () => {
    const cases: [string, string, string][] = [
      ['an unknown option', `a@x no-touch-required ${KEY}`, 'unknown option'],
      ['an unquoted option value', `a@x namespaces=git ${KEY}`, 'double quotes'],
      ['an impossible date', `a@x valid-before="20241332" ${KEY}`, 'not a real date'],
      ['a malformed date', `a@x valid-before="2024" ${KEY}`, 'YYYYMMDD'],
      ['an unknown key type', 'a@x ssh-dss AAAA', 'not supported'],
      ['a certificate as key', 'a@x ssh-ed25519-cert-v01@openssh.com AAAA', 'cert-authority'],
      ['a key that is not base64', 'a@x ssh-ed25519 !!!', 'base64'],
      ['a key of another type', `a@x ecdsa-sha2-nistp256 ${KEY.split(' ')[1] ?? ''}`, 'not ecdsa'],
      ['an open quote', `"a@x ${KEY}`, 'unterminated quote'],
      [
        'a repeated valid-before (ssh-keygen refuses the line; the later one must not win)',
        `a@x valid-before="20200101",valid-before="20991231" ${KEY}`,
        'more than once',
      ],
      ['a repeated namespaces', `a@x namespaces="file",namespaces="git" ${KEY}`, 'more than once'],
      [
        'a repeated valid-after',
        `a@x valid-after="20990101",VALID-AFTER="20000101" ${KEY}`,
        'more than once',
      ],
    ];
    for (const [what, line, fragment] of cases) {
      it(`rejects ${what}, naming the line`, () => {
        assert.throws(
          () => parseAllowedSigners(`# x\n${line}\n`, 'signers'),
          invalid('signers line 2'),
        );
        assert.throws(() => parseAllowedSigners(line), invalid(fragment));
      });
    }
  });
});

describe('parseSshTimestamp', () => {
  it('reads the three lengths as UTC', () => {
    assert.equal(parseSshTimestamp('20240229', 'x').toISOString(), '2024-02-29T00:00:00.000Z');
    assert.equal(parseSshTimestamp('202402291201', 'x').toISOString(), '2024-02-29T12:01:00.000Z');
    assert.equal(
      parseSshTimestamp('20240229120159Z', 'x').toISOString(),
      '2024-02-29T12:01:59.000Z',
    );
  });
});

describe('matchPatternList', () => {
  it('matches wildcards and lets a negation deny', () => {
    assert.equal(matchPatternList('a@example.com', '*@example.com'), true);
    assert.equal(matchPatternList('a@example.com', 'a@example.co?'), true);
    assert.equal(matchPatternList('a@evil.com', '*@example.com'), false);
    assert.equal(matchPatternList('m@example.com', '*@example.com,!m@example.com'), false);
    assert.equal(matchPatternList('a.b@x', 'a?b@x'), true);
    assert.equal(matchPatternList('axb@x', 'a.b@x'), false);
  });
});
