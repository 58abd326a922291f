import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SathosError } from '../errors.js';
import { sha256Hex } from '../attestation/digest.js';
import { POLICY_LIMITS, parsePolicy } from './policy-document.js';

const KEY_ID = `sha256:${'b'.repeat(64)}`;
const URI = 'policies/release.yaml';

const VALID = `
apiVersion: sathos.dev/v1
kind: Policy
metadata: { name: release }
stages: [source, build, deploy]
identities:
  source: [{ keyId: "${KEY_ID}" }]
  build:
    - issuer: https://token.actions.githubusercontent.com
      subjectRegexp: https://github\\.com/demo/hello-sathos/\\.github/workflows/release\\.yml@refs/heads/.*
  deploy:
    - issuer: https://token.actions.githubusercontent.com
      subject: https://github.com/demo/hello-sathos/.github/workflows/deploy.yml@refs/heads/main
`;

/** Asserts a POLICY_INVALID naming the policy and every one of `fragments`. */
function invalid(...fragments: string[]): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof SathosError, `expected a SathosError, got ${String(error)}`);
    assert.equal(error.code, 'POLICY_INVALID', error.line);
    assert.equal(error.where, URI);
    for (const f of fragments)
      assert.ok(error.message.includes(f), `${f} not in: ${error.message}`);
    return true;
  };
}

void describe('parsePolicy', () => {
  void it('reads the stages in order and who may sign each, with the digest of the exact bytes', () => {
    const policy = parsePolicy(VALID, URI);
    assert.equal(policy.uri, URI);
    assert.equal(policy.digest, sha256Hex(VALID));
    assert.deepEqual(policy.stages, ['source', 'build', 'deploy']);
    assert.deepEqual(policy.identities.source, [{ keyId: KEY_ID }]);
    assert.equal(
      policy.identities.build?.[0]?.issuer,
      'https://token.actions.githubusercontent.com',
    );
    assert.equal(policy.identities.deploy?.length, 1);
  });

  void describe('when the policy is wrong in many ways', () => {
    void it('names every problem in one error', () => {
      const text = `
apiVersion: sathos.dev/v2
kind: Rule
stages: [source, Build, source]
identities:
  source: [{ keyId: "md5:abc" }]
  deploy: [{ keyId: "${KEY_ID}" }]
owner: me
`;
      assert.throws(
        () => parsePolicy(text, URI),
        invalid(
          'apiVersion must be sathos.dev/v1',
          'kind must be Policy',
          'stages[1] must be a stage name',
          'stages lists a stage twice',
          'identities.source[0].keyId must be sha256:<64 hex>',
          'identities.deploy names a stage not listed in stages',
          'identities.Build is missing',
          'unknown top-level field(s): owner',
        ),
      );
    });
  });

  void describe('when it asks for what this version cannot enforce', () => {
    void it('refuses CEL rules rather than ignoring them (fail closed)', () => {
      const text = `${VALID}rules:\n  - id: no-friday\n    expr: "true"\n`;
      assert.throws(() => parsePolicy(text, URI), invalid('rules (CEL) are not supported'));
    });
  });

  void describe('when a stage has no signer', () => {
    void it('refuses a stage missing from identities', () => {
      const text = VALID.replace(/ {2}deploy:\n(.*\n){2}/, '');
      assert.doesNotMatch(text, /deploy:/);
      assert.throws(() => parsePolicy(text, URI), invalid('identities.deploy is missing'));
    });

    void it('refuses a stage named like an inherited property that has no signer', () => {
      const text = VALID.replace('[source, build, deploy]', '[source, build, deploy, constructor]');
      assert.throws(() => parsePolicy(text, URI), invalid('identities.constructor is missing'));
    });

    void it('refuses a stage whose identity list is empty', () => {
      const text = VALID.replace('source: [{ keyId: "' + KEY_ID + '" }]', 'source: []');
      assert.throws(
        () => parsePolicy(text, URI),
        invalid('identities.source must be a non-empty list'),
      );
    });
  });

  void describe('when an identity rule is unusable', () => {
    void it('refuses unknown fields, non-string values, mixed and half rules, bad patterns', () => {
      const text = `
apiVersion: sathos.dev/v1
kind: Policy
stages: [source, build, test, scan]
identities:
  source: [{ keyId: "${KEY_ID}", trust: always }]
  build: [{ keyId: "${KEY_ID}", issuer: https://issuer }]
  test: [{ issuer: https://issuer }, { issuer: https://issuer, subject: 1 }]
  scan: [{ issuer: https://issuer, subjectRegexp: "(" }]
`;
      assert.throws(
        () => parsePolicy(text, URI),
        invalid(
          'identities.source[0] has unknown field(s) trust',
          'identities.build[0] names a key and a certificate identity',
          'identities.test[0] needs exactly one of subject or subjectRegexp',
          'identities.test[1] values must be strings',
          'identities.scan[0].subjectRegexp is not a valid regular expression',
        ),
      );
    });
  });

  void describe('when the document is hostile or not a policy', () => {
    void it('refuses a YAML alias bomb quickly, without expanding it', () => {
      const rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
      for (const [prev, name] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi']) {
        rows.push(
          `${name ?? ''}: &${name ?? ''} [${Array(9)
            .fill(`*${prev ?? ''}`)
            .join(', ')}]`,
        );
      }
      const started = performance.now();
      assert.throws(() => parsePolicy(rows.join('\n'), URI), invalid('aliases'));
      // 9^9 strings if expanded; refused in milliseconds. The bound only catches an expansion.
      assert.ok(performance.now() - started < 5000);
    });

    void it('refuses a policy larger than the limit before parsing it', () => {
      const text = `${VALID}# ${'x'.repeat(POLICY_LIMITS.maxBytes)}\n`;
      assert.throws(() => parsePolicy(text, URI), invalid(`larger than ${POLICY_LIMITS.maxBytes}`));
    });

    void it('refuses more stages than the limit', () => {
      const stages = Array.from({ length: POLICY_LIMITS.maxStages + 1 }, (_, i) => `s${i}`);
      const text = `apiVersion: sathos.dev/v1\nkind: Policy\nstages: [${stages.join(', ')}]\nidentities: {}\n`;
      assert.throws(() => parsePolicy(text, URI), invalid(`more than ${POLICY_LIMITS.maxStages}`));
    });

    void it('refuses duplicate keys, which YAML readers resolve differently', () => {
      const text = `${VALID}stages: [deploy]\n`;
      assert.throws(() => parsePolicy(text, URI), invalid('not valid YAML'));
    });

    void it('refuses text that is not YAML', () => {
      assert.throws(() => parsePolicy('stages: [source\n', URI), invalid('not valid YAML'));
    });

    void it('refuses a document that is not a mapping', () => {
      for (const text of ['- source\n- build\n', '"a policy"\n', '']) {
        assert.throws(() => parsePolicy(text, URI), invalid('must be a YAML mapping'));
      }
    });
  });
});
