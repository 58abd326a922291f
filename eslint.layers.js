// Which way dependencies point (docs/architecture.md), enforced by `npm run lint` and so by
// `npm test`. Inside packages/core every layer folder imports only the layers below it; core imports
// no other workspace and touches no process, network or file system; packages import along
// actions → github/guard/node → core (github may use node's file reader, never the reverse);
// shipped code never imports the test stand-ins.
// test/layers.test.ts lints imports that run against these rules and sees each one refused.

const CORE = 'packages/core/src';

/** Core's layers, each with the layers it may import (the root files are the foundation below all). */
export const CORE_LAYERS = {
  identity: [],
  anomaly: [],
  attestation: ['identity'],
  policy: ['identity', 'attestation', 'anomaly'],
  posture: ['identity', 'attestation', 'policy'],
  pipeline: ['identity', 'attestation', 'policy', 'anomaly', 'posture'],
};
const LAYER_NAMES = Object.keys(CORE_LAYERS);

const TESTS = ['**/*.test.ts'];
const TEST_STAND_INS = [
  { group: ['@sathos/testkit', '@sathos/testkit/*'], message: 'only tests use the stand-ins' },
  { group: ['@sathos/github/testing'], message: 'only tests use the GitHub stand-in' },
];

/** A pattern refusing relative imports that reach into any of `layers` (folders of core). */
function intoLayers(layers, message) {
  return { regex: `(^|/)(${layers.join('|')})/`, message };
}

const PROCESS_AND_NETWORK = ['child_process', 'http', 'https', 'net', 'dgram', 'dns'];
const FILES = ['fs', 'fs/*'];
const builtins = (names) => names.flatMap((name) => [name, `node:${name}`]);

/** Core: pure logic; the edges hand it git, HTTP, files and the environment. */
function coreIo() {
  return [
    { group: ['@sathos/*'], message: 'core imports no other workspace: the edges import core' },
    { group: ['@actions/*'], message: 'the runner edge is packages/github' },
    {
      group: builtins([...PROCESS_AND_NETWORK, ...FILES]),
      message:
        'core holds logic: processes, files and the network go behind an interface (packages/node, packages/github)',
    },
  ];
}
const CORE_GLOBALS = {
  'no-restricted-properties': [
    'error',
    { object: 'process', property: 'env', message: 'core takes its environment as a parameter' },
    { object: 'process', property: 'argv', message: 'the CLI parses arguments, not core' },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'fetch', message: 'core takes a fetch function; packages/github makes the request' },
  ],
};

function restrict(files, patterns, extra = {}) {
  return {
    files,
    ignores: TESTS,
    rules: { 'no-restricted-imports': ['error', { patterns }], ...extra },
  };
}

/** The import rule of a core file: no I/O modules, and only the layers below its own. */
function coreRule(files, forbiddenLayers, message) {
  return restrict(files, [...coreIo(), intoLayers(forbiddenLayers, message)], CORE_GLOBALS);
}

/** Each core layer may import the ones below it; the foundation (root files) imports no layer. */
function coreLayers() {
  const foundationMessage = 'the root files are the foundation: they import no layer';
  const foundation = coreRule([`${CORE}/*.ts`], LAYER_NAMES, foundationMessage);
  foundation.ignores = [...TESTS, `${CORE}/index.ts`];
  const rules = [foundation];
  for (const [layer, below] of Object.entries(CORE_LAYERS)) {
    const above = LAYER_NAMES.filter((name) => name !== layer && !below.includes(name));
    const allowed = below.length === 0 ? 'only the foundation' : below.join(', ');
    const message = `core/${layer} may import ${allowed} (docs/architecture.md)`;
    rules.push(coreRule([`${CORE}/${layer}/**/*.ts`], above, message));
  }
  return rules;
}

/** Workspaces: each lists the workspaces it must not import. */
const PACKAGES = {
  'packages/node/src': ['cli', 'github', 'guard', 'action-*'],
  'packages/github/src': ['cli', 'guard', 'action-*'],
  'packages/guard/src': ['cli', 'github', 'action-*'],
  'packages/cli/src': ['action-*'],
  'actions/*/src': ['cli', 'action-*'],
  'packages/testkit/src': ['cli', 'github', 'guard', 'node', 'action-*'],
};

function packageRules() {
  return Object.entries(PACKAGES).map(([dir, forbidden]) =>
    restrict(
      [`${dir}/**/*.ts`],
      [
        ...TEST_STAND_INS,
        {
          group: forbidden.flatMap((name) => [`@sathos/${name}`, `@sathos/${name}/*`]),
          message: `${dir} must not import this workspace: dependencies point actions → github, guard, node → core (docs/architecture.md)`,
        },
      ],
    ),
  );
}

/**
 * The one exception to "only tests use the stand-ins": `sathos demo` runs the reusable pipeline
 * against the loopback Sigstore and GitHub stand-ins, so packages/cli/src/demo/** alone may import
 * them (the CLI bundle carries them for the demo; docs/architecture.md). Listed after the package
 * rules, it replaces their import rule for those files only.
 */
const DEMO_STAND_INS = 'packages/cli/src/demo';

function demoException() {
  return restrict(
    [`${DEMO_STAND_INS}/**/*.ts`],
    [
      {
        group: PACKAGES['packages/cli/src'].flatMap((name) => [
          `@sathos/${name}`,
          `@sathos/${name}/*`,
        ]),
        message: `${DEMO_STAND_INS} must not import this workspace: dependencies point actions → github, guard, node → core (docs/architecture.md)`,
      },
    ],
  );
}

export default [...coreLayers(), ...packageRules(), demoException()];
