// The published schemas under test/fixtures/schemas (NOTICE names each source), compiled once with
// ajv. The files are byte for byte; two adjustments are made in memory only: the SARIF schema is
// draft-04 (its root `id` becomes `$id` for ajv 8, the one draft-04 construct it uses), and the
// CycloneDX schemas' `iri-reference` / `idn-email` formats, which ajv-formats lacks, get checks
// of their own (none of the characters RFC 3987 excludes; one `@`).
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';

// ajv-formats is CommonJS whose default export TypeScript's NodeNext view does not call.
const addFormats = createRequire(import.meta.url)('ajv-formats') as (ajv: Ajv) => Ajv;

const DIR = new URL('../fixtures/schemas/', import.meta.url);

function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as Record<string, unknown>;
}

function sarifForAjv(): Record<string, unknown> {
  const schema = load('sarif-schema-2.1.0.json');
  const { id, ...rest } = schema;
  return { ...rest, $schema: undefined, $id: id };
}

function makeAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  ajv.addFormat('iri-reference', /^[^\s<>"{}|\\^`]*$/);
  ajv.addFormat('idn-email', (s: string) => /^[^@\s]+@[^@\s]+$/.test(s));
  for (const name of [
    'cyclonedx-spdx.schema.json',
    'cyclonedx-jsf-0.82.schema.json',
    'cyclonedx-bom-1.5.schema.json',
    'cyclonedx-bom-1.6.schema.json',
    'spdx-schema-2.3.json',
    'in-toto-statement-v1.schema.json',
    'in-toto-test-result-v0.1.schema.json',
    'in-toto-vulns-v0.2.schema.json',
  ]) {
    ajv.addSchema(load(name));
  }
  ajv.addSchema(sarifForAjv());
  return ajv;
}

const ajv = makeAjv();

function validator(id: string): ValidateFunction {
  const v = ajv.getSchema(id);
  if (v === undefined) throw new Error(`schema ${id} not loaded`);
  return v;
}

export const SCHEMAS = {
  sarif: validator(
    'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
  ),
  spdx23: validator('http://spdx.org/rdf/terms/2.3'),
  cyclonedx15: validator('http://cyclonedx.org/schema/bom-1.5.schema.json'),
  cyclonedx16: validator('http://cyclonedx.org/schema/bom-1.6.schema.json'),
  statement: validator('https://sathos.dev/test/schemas/in-toto-statement-v1.schema.json'),
  testResult: validator('https://sathos.dev/test/schemas/in-toto-test-result-v0.1.schema.json'),
  vulns: validator('https://sathos.dev/test/schemas/in-toto-vulns-v0.2.schema.json'),
} as const;

/** The schema's verdict, with its errors as one readable string when it refuses. */
export function check(validate: ValidateFunction, value: unknown): string | undefined {
  if (validate(value)) return undefined;
  return ajv.errorsText(validate.errors, { separator: '; ' });
}

export function fixture(name: string): { name: string; bytes: Uint8Array } {
  const path = `test/fixtures/reports/${name}`;
  return {
    name: path,
    bytes: readFileSync(new URL(`../fixtures/reports/${name}`, import.meta.url)),
  };
}
