// Every action's README follows one structure — what it does, then Inputs, Outputs, Required
// permissions and a complete Example workflow — and names every input and output its action.yml
// declares, so a new input cannot ship undocumented.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const actions = readdirSync(join(root, 'actions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const HEADINGS = ['## Inputs', '## Outputs', '## Required permissions', '## Example workflow'];

interface ActionYml {
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

void describe('action READMEs', () => {
  for (const name of actions) {
    void describe(`actions/${name}/README.md`, () => {
      const readme = readFileSync(join(root, 'actions', name, 'README.md'), 'utf8');
      const yml = parse(
        readFileSync(join(root, 'actions', name, 'action.yml'), 'utf8'),
      ) as ActionYml;

      void it('has the four sections, in order, after its description', () => {
        const at = HEADINGS.map((heading) => readme.search(new RegExp(`^${heading}$`, 'm')));
        assert.ok(
          at.every((index) => index > 0),
          `missing: ${HEADINGS.filter((_, i) => (at[i] ?? -1) <= 0).join(', ')}`,
        );
        assert.deepEqual(
          [...at].sort((a, b) => a - b),
          at,
          'sections out of order',
        );
      });

      void it('names every input and output of its action.yml', () => {
        const names = [...Object.keys(yml.inputs ?? {}), ...Object.keys(yml.outputs ?? {})];
        const missing = names.filter((field) => !readme.includes(`\`${field}\``));
        assert.deepEqual(missing, []);
      });

      void it('its example is a whole workflow that uses this action pinned by a full commit sha', () => {
        const example = readme.slice(readme.search(/^## Example workflow$/m));
        const yaml = /```yaml\n([\s\S]*?)```/.exec(example)?.[1];
        assert.ok(yaml !== undefined, 'no yaml block under Example workflow');
        const workflow = parse(yaml) as {
          on?: unknown;
          jobs?: Record<string, { steps?: { uses?: string }[] }>;
        };
        assert.ok(workflow.on !== undefined && workflow.jobs !== undefined, 'needs on: and jobs:');
        const uses = Object.values(workflow.jobs).flatMap((job) =>
          (job.steps ?? []).map((step) => step.uses ?? ''),
        );
        assert.ok(
          uses.some((use) =>
            new RegExp(
              `^sathos-dev/sathos/actions/${name}@(?:[0-9a-f]{40}|<release commit sha>)$`,
            ).test(use),
          ),
          `no step uses sathos-dev/sathos/actions/${name}@<full commit sha>`,
        );
      });
    });
  }
});
