import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identityRuleProblems, signerMatchesRule } from './identity-rule.js';
import type { SignerIdentity } from './signer-identity.js';

const ISSUER = 'https://token.actions.githubusercontent.com';
const workflow = (subject: string, issuer = ISSUER): SignerIdentity => ({
  kind: 'certificate',
  subject,
  issuer,
  claims: {},
});
const KEY = `sha256:${'1'.repeat(64)}`;

describe('signerMatchesRule', () => {
  it('matches a whole subject by pattern, and a key by its id', () => {
    const rule = { issuer: ISSUER, subjectRegexp: 'https://github\\.com/acme/.*' };
    assert.equal(
      signerMatchesRule(
        workflow('https://github.com/acme/app/.github/w.yml@refs/heads/main'),
        rule,
      ),
      true,
    );
    assert.equal(signerMatchesRule({ kind: 'key', keyId: KEY }, { keyId: KEY }), true);
  });

  describe('when the signer is not the one named', () => {
    it('does not match a pattern that fits only part of the subject', () => {
      const rule = { issuer: ISSUER, subjectRegexp: 'https://github\\.com/acme/' };
      assert.equal(signerMatchesRule(workflow('https://github.com/acme/app'), rule), false);
      assert.equal(
        signerMatchesRule(workflow('https://evil.example/https://github.com/acme/'), rule),
        false,
      );
    });

    it('does not match another issuer, a key for a certificate rule, or a certificate for a key rule', () => {
      const rule = { issuer: ISSUER, subject: 'x' };
      assert.equal(signerMatchesRule(workflow('x', 'https://evil.example'), rule), false);
      assert.equal(signerMatchesRule({ kind: 'key', keyId: KEY }, rule), false);
      assert.equal(signerMatchesRule(workflow('x'), { keyId: KEY }), false);
    });

    it('decides a catastrophic-backtracking pattern over a long subject (RE2: linear time)', () => {
      // A backtracking engine takes exponential time here; RE2 answers at once.
      const rule = { issuer: ISSUER, subjectRegexp: '(a+)+' };
      assert.equal(signerMatchesRule(workflow(`${'a'.repeat(5000)}!`), rule), false);
    });
  });
});

describe('identityRuleProblems', () => {
  it('refuses a pattern RE2 does not accept (backreferences, lookahead)', () => {
    for (const subjectRegexp of ['(a)\\1', 'a(?=b)', '(']) {
      const problems = identityRuleProblems({ issuer: ISSUER, subjectRegexp }, 'rule');
      assert.match(problems.join('; '), /not a valid RE2 pattern/);
    }
  });

  it('refuses a pattern that parses alone but not anchored (\\Q quotes the anchors away)', () => {
    const problems = identityRuleProblems({ issuer: ISSUER, subjectRegexp: '\\Qa.b' }, 'rule');
    assert.match(problems.join('; '), /not a valid RE2 pattern/);
  });
});
