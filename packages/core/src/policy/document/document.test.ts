import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SathosError } from '../../errors.js';
import { sha256Hex } from '../../digest.js';
import { POLICY_LIMITS, parsePolicy } from './document.js';
import { PolicyInvalidError } from './problem.js';

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
      runnerEnvironment: github-hosted
  deploy:
    - issuer: https://token.actions.githubusercontent.com
      subject: https://github.com/demo/hello-sathos/.github/workflows/deploy.yml@refs/heads/main
`;

const RULES = `rules:
  - id: tests-passed
    stage: build
    expression: "evidence.testResult.result == 'PASSED'"
    message: the tests must pass
  - id: prod-only-main
    environments: [production]
    expression: "run.workflowRef.endsWith('@refs/heads/main')"
    message: production deploys come from main
environments:
  production: { requiredStages: [source, build] }
  staging:
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

/** The located problems of a policy that must not load. */
function problemsOf(text: string): PolicyInvalidError['problems'] {
  try {
    parsePolicy(text, URI);
  } catch (error) {
    assert.ok(error instanceof PolicyInvalidError, String(error));
    return error.problems;
  }
  assert.fail('the policy loaded');
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
    assert.deepEqual(policy.identities.build[0].claims, { runnerEnvironment: 'github-hosted' });
    assert.equal(policy.identities.deploy?.length, 1);
    assert.deepEqual(policy.rules, []);
    assert.deepEqual(policy.environments, {});
  });

  void it('compiles rules and reads environments', () => {
    const policy = parsePolicy(VALID + RULES, URI);
    assert.deepEqual(
      policy.rules.map((r) => [r.id, r.stages, r.environments]),
      [
        ['tests-passed', ['build'], undefined],
        ['prod-only-main', undefined, ['production']],
      ],
    );
    assert.deepEqual(policy.environments, {
      production: { requiredStages: ['source', 'build'], gate: { anomalies: 'deny' } },
      staging: { requiredStages: [], gate: { anomalies: 'deny' } },
    });
  });

  void it('reads the commits and anomaly sections', () => {
    const text = `${VALID}commits:
  signers:
    allowedSigners: |
      alice@example.com namespaces="git" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxx
    gitsign: [{ issuer: "https://github.com/login/oauth", subject: alice@example.com }]
  protectedPaths:
    - paths: [".github/workflows/**", "infra/**"]
      allowedSigners: "alice@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxx"
  allowWebFlow: true
anomaly:
  mode: halt
  allowedHosts: [api.github.com, "*.example.com:443", "[::1]:8080", 10.0.0.1]
  durationRatio: 3
`;
    const policy = parsePolicy(text, URI);
    assert.equal(policy.commits?.allowMergeCommits, false);
    assert.equal(policy.commits.allowWebFlow, true);
    assert.match(policy.commits.signers.allowedSigners ?? '', /^alice@example.com/);
    assert.equal(policy.commits.signers.gitsign?.[0]?.subject, 'alice@example.com');
    assert.deepEqual(policy.commits.protectedPaths[0]?.paths, ['.github/workflows/**', 'infra/**']);
    assert.deepEqual(policy.anomaly, {
      mode: 'halt',
      allowedHosts: ['api.github.com', '*.example.com:443', '[::1]:8080', '10.0.0.1'],
      durationRatio: 3,
    });
  });

  void describe('when the policy is wrong in many ways', () => {
    void it('names every problem in one error, each with its line and column', () => {
      const text = `apiVersion: sathos.dev/v2
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
          'unknown top-level field(s): owner',
        ),
      );
      const at = new Map(
        problemsOf(text).map((p) => [p.message.split(' ')[0], `${p.line}:${p.col}`]),
      );
      assert.equal(at.get('apiVersion'), '1:13');
      assert.equal(at.get('kind'), '2:7');
      assert.equal(at.get('stages[1]'), '3:18');
      assert.equal(at.get('identities.source[0].keyId'), '5:21');
      assert.equal(at.get('unknown'), '7:1');
    });
  });

  void describe('when a rule is unusable', () => {
    const ruled = (rules: string): string => `${VALID}rules:\n${rules}`;

    void it('names the rule and its position when the CEL does not parse', () => {
      const problems = problemsOf(
        ruled(
          '  - id: ok\n    expression: "true"\n    message: fine\n  - id: broken\n    expression: "size(x) > 3 &&"\n    message: m\n',
        ),
      );
      assert.equal(problems.length, 1);
      assert.match(problems[0]?.message ?? '', /^rule "broken": expression does not parse/);
      assert.deepEqual([problems[0]?.line, problems[0]?.col], [20, 17]);
    });

    void it('refuses an expression that cannot be a bool, an unknown function and a bad pattern', () => {
      assert.throws(
        () =>
          parsePolicy(
            ruled(`  - { id: sum, expression: "1 + 2", message: m }
  - { id: text, expression: "'yes'", message: m }
  - { id: listed, expression: "[true]", message: m }
  - { id: mapped, expression: "records.map(r, r.stage)", message: m }
  - { id: sized, expression: "size(records)", message: m }
  - { id: unknown-fn, expression: "frobnicate(stage)", message: m }
  - { id: pattern, expression: "stage.matches('(')", message: m }
`),
            URI,
          ),
        invalid(
          'rule "sum": expression is not a bool expression',
          'rule "text": expression is not a bool expression',
          'rule "listed": expression is not a bool expression',
          'rule "mapped": expression is not a bool expression',
          'rule "sized": expression is not a bool expression',
          'rule "unknown-fn": expression calls unknown function frobnicate()',
          'rule "pattern": expression has an invalid RE2 pattern',
        ),
      );
    });

    void it('accepts field reads, has(), macros and ternaries of bools', () => {
      const policy = parsePolicy(
        ruled(`  - { id: a, expression: "evidence.ok", message: m }
  - { id: b, expression: "has(evidence.testResult)", message: m }
  - { id: c, expression: "records.exists_one(r, r.stage == 'build')", message: m }
  - { id: d, expression: "stage == 'build' ? evidence.ok : true", message: m }
  - { id: e, expression: "subjects.all(s, s.name.matches('^[a-z]+$'))", message: m }
`),
        URI,
      );
      assert.equal(policy.rules.length, 5);
    });

    void it('refuses bad ids, duplicates, undeclared stages and environments, missing messages', () => {
      assert.throws(
        () =>
          parsePolicy(
            ruled(`  - { id: "no spaces", expression: "true", message: m }
  - { id: twice, expression: "true", message: m }
  - { id: twice, expression: "true", message: m }
  - { id: lost, stage: release, expression: "true", message: m }
  - { id: nowhere, environments: [production], expression: "true", message: m }
  - { id: silent, expression: "true" }
  - { id: extra, expression: "true", message: m, severity: high }
  - "true"
`),
            URI,
          ),
        invalid(
          'rules[0].id must be a name',
          'rule "twice": the id is used by another rule',
          'rule "lost".stage names stage "release" the policy does not declare',
          'rule "nowhere".environments names environment "production" the policy does not declare',
          'rule "silent".message must say what the rule requires',
          'rule "extra" has unknown field(s) severity',
          'rules[7] must be an object',
        ),
      );
    });

    void it('refuses an expression longer than the limit, and more rules than the limit', () => {
      const long = `true${' && true'.repeat(POLICY_LIMITS.maxExpressionLength / 8)}`;
      assert.throws(
        () => parsePolicy(ruled(`  - { id: long, expression: "${long}", message: m }\n`), URI),
        invalid(`longer than ${POLICY_LIMITS.maxExpressionLength} characters`),
      );
      const many = Array.from(
        { length: POLICY_LIMITS.maxRules + 1 },
        (_, i) => `  - { id: r${i}, expression: "true", message: m }`,
      ).join('\n');
      assert.throws(
        () => parsePolicy(ruled(`${many}\n`), URI),
        invalid(`rules has more than ${POLICY_LIMITS.maxRules} entries`),
      );
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
stages: [source, build, test, scan, decision]
identities:
  source: [{ keyId: "${KEY_ID}", trust: always }]
  build: [{ keyId: "${KEY_ID}", issuer: https://issuer }]
  test: [{ issuer: https://issuer }, { issuer: https://issuer, subject: 1 }]
  scan: [{ issuer: https://issuer, subjectRegexp: "(" }]
  decision: [{ keyId: "${KEY_ID}", runnerEnvironment: github-hosted }]
`;
      assert.throws(
        () => parsePolicy(text, URI),
        invalid(
          'identities.source[0] has unknown field(s) trust',
          'identities.build[0] names a key and a certificate identity',
          'identities.test[0] needs exactly one of subject or subjectRegexp',
          'identities.test[1] values must be strings',
          'identities.scan[0].subjectRegexp is not a valid RE2 pattern',
          'identities.decision[0] names a key and certificate claims',
        ),
      );
    });
  });

  void describe('when the other layers’ sections are wrong', () => {
    void it('refuses bad commits, environments and anomaly sections, all at once', () => {
      const text = `${VALID}commits:
  signers: { pgpKeys: "not armored", gitsign: [{ issuer: x }], ssh: y }
  protectedPaths:
    - { paths: [] }
    - "infra/**"
  allowMergeCommits: "yes"
environments:
  production: { requiredStages: [test] }
  "bad name": {}
anomaly:
  mode: panic
  allowedHosts: ["https://example.com/", "Example.COM"]
  durationRatio: 0.5
`;
      assert.throws(
        () => parsePolicy(text, URI),
        invalid(
          'commits.signers.pgpKeys must hold ASCII-armored OpenPGP public keys',
          'commits.signers.gitsign[0] needs exactly one of subject or subjectRegexp',
          'commits.signers.ssh is not a known field',
          'commits.protectedPaths[0].paths must be a non-empty list',
          'commits.protectedPaths[0] names no signer',
          'commits.protectedPaths[1] must be an object',
          'commits.allowMergeCommits must be true or false',
          'environments.production.requiredStages names stage "test" the policy does not declare',
          'environments.bad name is not a valid environment name',
          'anomaly.mode must be one of audit, block, halt',
          'anomaly.allowedHosts entry "https://example.com/"',
          'anomaly.allowedHosts entry "Example.COM"',
          'anomaly.durationRatio must be a number above 1',
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

    void it('refuses a few aliases that expand to a huge document', () => {
      const rows = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 10; i++) rows.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}, *a${i - 1}]`);
      assert.throws(() => parsePolicy(rows.join('\n'), URI), invalid('aliases'));
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

    void it('refuses duplicate keys, which YAML readers resolve differently, at their line', () => {
      const text = `${VALID}stages: [deploy]\n`;
      assert.throws(() => parsePolicy(text, URI), invalid('not valid YAML'));
      assert.equal(problemsOf(text)[0]?.line, 15);
    });

    void it('refuses YAML tags that make values JSON cannot hold (a set, an ordered map, bytes, a date)', () => {
      // Read as a Map, `!!omap` looked like an object with no fields: production required nothing.
      const text = `${VALID}environments:
  production: !!omap [ requiredStages: [source, build] ]
anomaly: !!set { mode }
commits: { allowWebFlow: !!timestamp 2001-12-14, signers: { allowedSigners: !!binary aGVsbG8= } }
`;
      assert.throws(() => parsePolicy(text, URI), invalid('environments.production', 'anomaly'));
      assert.deepEqual(
        problemsOf(text).map((p) => [p.path.join('.'), p.line]),
        [
          ['environments.production', 16],
          ['anomaly', 17],
          ['commits.allowWebFlow', 18],
          ['commits.signers.allowedSigners', 18],
        ],
      );
    });

    void it('refuses keys that become the same name once read (1 and "1", 0x10 and 16), at their line', () => {
      // Read as one key, the later entry replaced the stricter environment without a word.
      const text = `${VALID}environments:
  1: { requiredStages: [source, build] }
  "1": {}
  0x10: { requiredStages: [source] }
  "16":
`;
      assert.throws(() => parsePolicy(text, URI), invalid('"1"', '"16"', 'twice'));
      assert.deepEqual(
        problemsOf(text).map((p) => p.line),
        [17, 19],
      );
    });

    void it('refuses text that is not YAML', () => {
      assert.throws(() => parsePolicy('stages: [source\n', URI), invalid('not valid YAML'));
    });

    void it('refuses more than one YAML document', () => {
      assert.throws(() => parsePolicy(`${VALID}---\n${VALID}`, URI), invalid('not valid YAML'));
    });

    void it('refuses a document that is not a mapping', () => {
      for (const text of ['- source\n- build\n', '"a policy"\n', '']) {
        assert.throws(() => parsePolicy(text, URI), invalid('must be a YAML mapping'));
      }
    });
  });
});
