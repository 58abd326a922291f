// Every action carries a .env.example so `@github/local-action` can run it, and every INPUT_ it
// sets is an input the action declares: a renamed input cannot leave a stale example behind.
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

/** The input names an example sets: INPUT_<NAME> lines, lower-cased as the runner derives them. */
function exampleInputs(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('INPUT_'))
    .map((line) => line.slice('INPUT_'.length, line.indexOf('=')).toLowerCase());
}

void describe('action .env.example files', () => {
  for (const name of actions) {
    void it(`actions/${name}/.env.example sets only inputs its action.yml declares, and every required one`, () => {
      const example = readFileSync(join(root, 'actions', name, '.env.example'), 'utf8');
      const yml = parse(readFileSync(join(root, 'actions', name, 'action.yml'), 'utf8')) as {
        inputs?: Record<string, { required?: boolean }>;
      };
      const declared = Object.keys(yml.inputs ?? {});
      const set = exampleInputs(example);
      assert.ok(set.length > 0, 'sets no input');
      assert.deepEqual(
        set.filter((input) => !declared.includes(input)),
        [],
        'inputs the action does not declare',
      );
      const required = declared.filter((input) => yml.inputs?.[input]?.required === true);
      assert.deepEqual(
        required.filter((input) => !set.includes(input)),
        [],
        'required inputs the example leaves out',
      );
    });
  }
});
