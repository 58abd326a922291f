// The dependency rules of eslint.layers.js, tried on imports written against them: each must be
// refused by `npm run lint` (and so by `npm test`), and the imports the layers allow must pass.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = new URL('..', import.meta.url).pathname;

async function linter(): Promise<ESLint> {
  // A URL, not a literal specifier: the rules are plain JavaScript outside any tsconfig.
  const href = new URL('../eslint.layers.js', import.meta.url).href;
  const layers = ((await import(href)) as { default: Linter.Config[] }).default;
  return new ESLint({
    cwd: ROOT,
    overrideConfigFile: true,
    overrideConfig: [
      { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
      ...layers,
    ],
  });
}

/** The messages of the dependency rules for `code` as if it were the file at `path`. */
async function violations(path: string, code: string): Promise<string[]> {
  const [result] = await (await linter()).lintText(code, { filePath: `${ROOT}${path}` });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const REFUSED: readonly (readonly [string, string, string, RegExp])[] = [
  [
    'identity importing attestation',
    'packages/core/src/identity/commits/gitsign/x.ts',
    "import { verifyBundle } from '../../../attestation/verify/verify-bundle.js';",
    /core\/identity may import only the foundation/,
  ],
  [
    'attestation importing policy',
    'packages/core/src/attestation/chain/x.ts',
    "export { parsePolicy } from '../../policy/document/document.js';",
    /core\/attestation may import identity/,
  ],
  [
    'policy importing the pipeline',
    'packages/core/src/policy/evaluate/x.ts',
    "import type { RecordStepInput } from '../../pipeline/record-step.js';",
    /core\/policy may import/,
  ],
  [
    'policy importing posture',
    'packages/core/src/policy/document/x.ts',
    "import { FINDING_RULES } from '../../posture/findings.js';",
    /core\/policy may import/,
  ],
  [
    'anomaly importing policy',
    'packages/core/src/anomaly/x.ts',
    "import type { Policy } from '../policy/document/document.js';",
    /core\/anomaly may import only the foundation/,
  ],
  [
    'a root file importing a layer',
    'packages/core/src/x.ts',
    "import { githubTrust } from './identity/trust/trusted-root.js';",
    /foundation/,
  ],
  [
    'core spawning a process',
    'packages/core/src/identity/commits/git/x.ts',
    "import { spawn } from 'node:child_process';",
    /behind an interface/,
  ],
  [
    'core reading files',
    'packages/core/src/attestation/chain/x.ts',
    "import { readFile } from 'node:fs/promises';",
    /behind an interface/,
  ],
  [
    'a root file of core reading files (the bounded reader lives in @sathos/node)',
    'packages/core/src/files.ts',
    "import { open } from 'node:fs/promises';",
    /behind an interface/,
  ],
  [
    'core importing @actions',
    'packages/core/src/policy/x.ts',
    "import * as core from '@actions/core';",
    /packages\/github/,
  ],
  [
    'core reading the environment',
    'packages/core/src/policy/x.ts',
    'export const token = process.env.GITHUB_TOKEN;',
    /environment as a parameter/,
  ],
  [
    'core calling fetch',
    'packages/core/src/policy/document/x.ts',
    "export const answer = fetch('http://127.0.0.1/');",
    /takes a fetch function/,
  ],
  [
    'core importing another workspace',
    'packages/core/src/pipeline/x.ts',
    "import { readInputs } from '@sathos/github';",
    /core imports no other workspace/,
  ],
  [
    'github importing the CLI',
    'packages/github/src/x.ts',
    "import { runCli } from '@sathos/cli';",
    /dependencies point/,
  ],
  [
    'guard importing github',
    'packages/guard/src/x.ts',
    "import { readInputs } from '@sathos/github';",
    /dependencies point/,
  ],
  [
    'an action importing the CLI',
    'actions/verify-commit-signature/src/x.ts',
    "import { runCli } from '@sathos/cli';",
    /dependencies point/,
  ],
  [
    'shipped code importing the test stand-ins',
    'packages/cli/src/x.ts',
    "import { startFulcio } from '@sathos/testkit';",
    /only tests/,
  ],
  [
    'an action importing the GitHub stand-in',
    'actions/guard/src/x.ts',
    "import { startGitHubStandIn } from '@sathos/github/testing';",
    /only tests/,
  ],
  [
    'a CLI command beside the demo importing the stand-ins',
    'packages/cli/src/commands/x.ts',
    "import { startSigstoreStandIn } from '@sathos/testkit';",
    /only tests/,
  ],
  [
    'a folder named like the demo elsewhere importing the stand-ins',
    'packages/github/src/demo/x.ts',
    "import { startGitHubStandIn } from '@sathos/github/testing';",
    /only tests/,
  ],
  [
    'the demo importing an action',
    'packages/cli/src/demo/x.ts',
    "import { run } from '@sathos/action-guard';",
    /dependencies point/,
  ],
];

const ALLOWED: readonly (readonly [string, string, string])[] = [
  [
    'attestation importing identity',
    'packages/core/src/attestation/verify/x.ts',
    "import { githubTrust } from '../../identity/trust/trusted-root.js';",
  ],
  [
    'policy importing anomaly and attestation',
    'packages/core/src/policy/document/x.ts',
    "import { parseHostPattern } from '../../anomaly/hosts.js';\nimport { VSA_V1 } from '../../attestation/evidence/predicates.js';",
  ],
  [
    'the pipeline importing every layer',
    'packages/core/src/pipeline/x.ts',
    "import { decide } from '../policy/evaluate/decision.js';\nimport { workflowPostureStatement } from '../posture/predicate.js';",
  ],
  [
    'a layer importing the foundation and its own folders',
    'packages/core/src/identity/commits/x.ts',
    "import { SathosError } from '../../errors.js';\nimport { openSsh } from './ssh/key.js';",
  ],
  [
    'an action importing github and core',
    'actions/guard/src/x.ts',
    "import { readInputs } from '@sathos/github';\nimport { SathosError } from '@sathos/core';",
  ],
  [
    'the demo (the one exception) using the Sigstore and GitHub stand-ins',
    'packages/cli/src/demo/x.ts',
    "import { startSigstoreStandIn } from '@sathos/testkit';\nimport { startGitHubStandIn } from '@sathos/github/testing';",
  ],
  [
    'a core test using the stand-ins and real processes',
    'packages/core/src/identity/commits/x.test.ts',
    "import { spawn } from 'node:child_process';\nimport { startFulcio } from '@sathos/testkit';\nexport const env = process.env;",
  ],
];

describe('dependency layers (eslint.layers.js)', () => {
  for (const [name, path, code, message] of REFUSED) {
    it(`refuses ${name}`, async () => {
      const found = await violations(path, code);
      assert.equal(found.length, 1, `expected one violation, got: ${found.join(' | ')}`);
      assert.match(found[0] ?? '', message);
    });
  }
  for (const [name, path, code] of ALLOWED) {
    it(`allows ${name}`, async () => {
      assert.deepEqual(await violations(path, code), []);
    });
  }
});
