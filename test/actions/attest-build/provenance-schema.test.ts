// The build's provenance against the schemas: the in-toto Statement v1 and SLSA Provenance v1
// (test/fixtures/schemas, NOTICE says where each comes from) — GitHub's build type as the action
// signs it, and the local build type — and the schema's refusal of a provenance missing a field.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import { githubProvenance, githubWorkflowClaims, localProvenance } from '@sathos/core';
import { githubActionsClaims } from '@sathos/testkit';

const addFormats = createRequire(import.meta.url)('ajv-formats') as (ajv: Ajv) => Ajv;
const load = (name: string): Record<string, unknown> =>
  JSON.parse(
    readFileSync(new URL(`../../fixtures/schemas/${name}`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;

const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
const statementSchema = ajv.compile(load('in-toto-statement-v1.schema.json'));
const provenanceSchema = ajv.compile(load('slsa-provenance-v1.schema.json'));

function problems(statement: { predicate: unknown }): string[] {
  const found: string[] = [];
  if (!statementSchema(statement)) found.push(ajv.errorsText(statementSchema.errors));
  if (!provenanceSchema(statement.predicate)) found.push(ajv.errorsText(provenanceSchema.errors));
  return found;
}

const SUBJECTS = [{ name: 'dist/a/app.tar', digest: { sha256: 'ab'.repeat(32) } }];

void describe('build provenance against the published shapes', () => {
  void it("GitHub's build type, from a GitHub Actions token's claims, passes both schemas", () => {
    const claims = githubWorkflowClaims(githubActionsClaims(), 'https://github.com');
    assert.deepEqual(problems(githubProvenance(SUBJECTS, claims)), []);
  });

  void it('the local build type passes both schemas', () => {
    const statement = localProvenance(SUBJECTS, {
      builderId: 'https://sathos.dev/cli',
      source: { uri: 'git+file:///src/app', commit: 'c'.repeat(40) },
      startedOn: new Date(0),
      finishedOn: new Date(1000),
    });
    assert.deepEqual(problems(statement), []);
  });

  void it('a provenance without its builder, or with a field SLSA does not define, is refused', () => {
    const claims = githubWorkflowClaims(githubActionsClaims(), 'https://github.com');
    const good = githubProvenance(SUBJECTS, claims);
    const predicate = good.predicate as { runDetails: Record<string, unknown> };
    const noBuilder = { ...good, predicate: { ...predicate, runDetails: { metadata: {} } } };
    assert.match(problems(noBuilder).join(), /must have required property 'builder'/);
    const extra = { ...good, predicate: { ...predicate, invocation: {} } };
    assert.match(problems(extra).join(), /must NOT have additional properties/);
  });
});
