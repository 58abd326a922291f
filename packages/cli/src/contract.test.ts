// The command-line contract, held by the real `sathos` process as a new user meets it: every bad
// invocation (no command, unknown command, a flag where a value belongs, a flag given twice, missing,
// empty, oversized or non-regular files, a directory or FIFO where a file belongs, an unusable demo
// directory) exits 1 or 2 with ONE line on stderr, or with --json exactly one JSON object on stdout,
// and never hangs: each run is killed after a bound, which fails the case rather than timing it.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import {
  BASELINE_LIMITS,
  INPUT_LIMITS,
  MAX_ALLOWED_SIGNERS_BYTES,
  MAX_BUNDLE_FILE_BYTES,
  MAX_PGP_KEYS_BYTES,
  MAX_PUBLIC_KEY_BYTES,
  MAX_TRUSTED_ROOT_BYTES,
  POLICY_LIMITS,
} from '@sathos/core';

const BIN = fileURLToPath(new URL('./bin.ts', import.meta.url));
/** Not a timing assertion: a run still going after this is killed and reported as a hang. */
const KILL_AFTER_MS = 120_000;
const DIGEST = `sha256:${'0'.repeat(64)}`;

interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI as it ships: bin.ts bundled by esbuild into one file (starts far faster than tsx). */
async function bundleCli(dir: string): Promise<string> {
  const outfile = join(dir, 'sathos.mjs');
  await build({
    entryPoints: [BIN],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    banner: {
      js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
    },
    logLevel: 'warning',
  });
  return outfile;
}

function sathos(cli: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd, timeout: KILL_AFTER_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const e = error as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
        const status = e === null ? 0 : typeof e.code === 'number' ? e.code : null;
        done({ status, signal: e?.signal ?? null, stdout, stderr });
      },
    );
  });
}

/** Named files and directories every case can use, made once. */
interface Fixture {
  readonly dir: string;
  /** The bundled CLI. */
  readonly cli: string;
  readonly empty: string;
  readonly garbage: string;
  readonly folder: string;
  readonly fifo: string;
  readonly missing: string;
  readonly unreadable: string;
  readonly key: string;
  readonly policy: string;
  readonly input: string;
  /** A file one byte over `bytes`. */
  readonly over: (bytes: number) => string;
  readonly foreignDir: string;
}

interface Case {
  readonly name: string;
  readonly args: (f: Fixture) => readonly string[];
  readonly exit: 1 | 2;
  /** The JSON `code` expected, when it matters. */
  readonly code?: string;
  /** What the one line must say. */
  readonly says?: RegExp;
  /** The args already hold --json (it is part of the case): run only that way. */
  readonly jsonOnly?: boolean;
  readonly skip?: string | false;
  /** What must still hold after the run. */
  readonly after?: (f: Fixture) => void;
}

const LIMIT = /larger than the limit of \d+ bytes/;
const isRoot = process.getuid?.() === 0;

const CASES: readonly Case[] = [
  // Invocation
  { name: 'no command', args: () => [], exit: 2, says: /no command given/ },
  { name: 'an unknown command', args: () => ['verfy-bundle'], exit: 2, says: /unknown command/ },
  {
    name: 'an unknown command with --help',
    args: () => ['bogus', '--help'],
    exit: 2,
    says: /unknown command 'bogus'/,
  },
  {
    name: 'help for an unknown command',
    args: () => ['help', 'bogus'],
    exit: 2,
    says: /unknown command 'bogus'/,
  },
  { name: 'an unknown option', args: () => ['verify-bundle', 'x', '--bogus'], exit: 2 },
  { name: 'a missing argument', args: () => ['verify-bundle'], exit: 2, says: /bundle/ },
  { name: 'too many arguments', args: () => ['verify-bundle', 'a', 'b'], exit: 2 },
  {
    name: 'a flag where a value belongs (--artifact --json)',
    args: (f) => ['verify-bundle', f.garbage, '--artifact', '--json'],
    exit: 2,
    says: /--artifact needs a value.*--artifact=--json/,
    jsonOnly: true,
  },
  {
    name: 'a flag where a value belongs (--trusted-root --key)',
    args: (f) => ['verify-bundle', f.garbage, '--digest', DIGEST, '--trusted-root', '--key', f.key],
    exit: 2,
    says: /--trusted-root needs a value/,
  },
  {
    name: 'a single-valued flag given twice',
    args: (f) => ['verify-bundle', f.garbage, '--cert-identity', 'a', '--cert-identity', 'b'],
    exit: 2,
    says: /--cert-identity was given twice/,
  },
  {
    name: 'verify-bundle --signer-workflow that RE2 cannot compile',
    args: (f) => ['verify-bundle', f.garbage, '--digest', DIGEST, '--signer-workflow', 'o/r/(x'],
    exit: 2,
    code: 'USAGE',
    says: /--signer-workflow is not a valid RE2 pattern/,
  },
  {
    name: 'verify-bundle --predicate-type empty',
    args: (f) => [
      'verify-bundle',
      f.garbage,
      '--digest',
      DIGEST,
      '--owner',
      'o',
      '--predicate-type=',
    ],
    exit: 2,
    code: 'USAGE',
    says: /--predicate-type needs a URI/,
  },
  {
    name: 'verify-chain --owner that is not an owner name',
    args: (f) => ['verify-chain', f.garbage, '--artifact', f.empty, '--owner', 'a/b'],
    exit: 2,
    code: 'USAGE',
    says: /--owner must be a GitHub owner name/,
  },
  {
    name: 'verify-chain --repo given twice',
    args: (f) => ['verify-chain', f.garbage, '--digest', DIGEST, '--repo', 'o/a', '--repo', 'o/b'],
    exit: 2,
    says: /--repo was given twice/,
  },
  {
    name: 'a single-valued flag given twice, once as --flag=value',
    args: (f) => [
      'verify-bundle',
      f.garbage,
      `--digest=${DIGEST}`,
      '--digest',
      DIGEST,
      '--key',
      f.key,
    ],
    exit: 2,
    says: /--digest was given twice/,
  },
  { name: 'a bad choice', args: (f) => ['policy', 'lint', f.policy], exit: 2 },

  // Trusted roots and keys: garbage and oversize alike are usage errors.
  ...(
    [
      ['missing', (f: Fixture) => f.missing, /no such file/],
      ['a directory', (f: Fixture) => f.folder, /directory/],
      ['a FIFO', (f: Fixture) => f.fifo, /not a regular file/],
      ['empty', (f: Fixture) => f.empty, undefined],
      ['garbage', (f: Fixture) => f.garbage, undefined],
      ['oversized', (f: Fixture) => f.over(MAX_TRUSTED_ROOT_BYTES), LIMIT],
    ] as const
  ).map(([what, path, says]): Case => ({
    name: `verify-bundle --trusted-root ${what}`,
    args: (f) => [
      'verify-bundle',
      f.garbage,
      '--digest',
      DIGEST,
      '--key',
      f.key,
      '--trusted-root',
      path(f),
    ],
    exit: 2,
    ...(says === undefined ? {} : { says }),
  })),
  ...(
    [
      ['missing', (f: Fixture) => f.missing, undefined],
      ['a directory', (f: Fixture) => f.folder, undefined],
      ['empty', (f: Fixture) => f.empty, undefined],
      ['garbage', (f: Fixture) => f.garbage, undefined],
      ['oversized', (f: Fixture) => f.over(MAX_PUBLIC_KEY_BYTES), LIMIT],
    ] as const
  ).map(([what, path, says]): Case => ({
    name: `verify-chain --key ${what}`,
    args: (f) => ['verify-chain', f.garbage, '--artifact', f.empty, '--key', path(f)],
    exit: 2,
    ...(says === undefined ? {} : { says }),
  })),
  {
    name: 'an unreadable key file',
    args: (f) => ['verify-bundle', f.garbage, '--digest', DIGEST, '--key', f.unreadable],
    exit: 2,
    says: /permission denied/,
    skip: isRoot && 'root reads any file',
  },

  // The evidence judged: unusable paths are usage errors, bad content a rejection.
  {
    name: 'a bundle that is a directory',
    args: (f) => ['verify-bundle', f.folder, '--digest', DIGEST, '--key', f.key],
    exit: 2,
  },
  {
    name: 'a bundle that is a FIFO',
    args: (f) => ['verify-bundle', f.fifo, '--digest', DIGEST, '--key', f.key],
    exit: 2,
  },
  {
    name: 'a missing bundle',
    args: (f) => ['verify-bundle', f.missing, '--digest', DIGEST, '--key', f.key],
    exit: 2,
  },
  {
    name: 'an empty bundle file',
    args: (f) => ['verify-bundle', f.empty, '--digest', DIGEST, '--key', f.key],
    exit: 1,
  },
  {
    name: 'a garbage bundle',
    args: (f) => ['verify-bundle', f.garbage, '--digest', DIGEST, '--key', f.key],
    exit: 1,
  },
  {
    name: 'an oversized bundle file',
    args: (f) => [
      'verify-bundle',
      f.over(MAX_BUNDLE_FILE_BYTES),
      '--digest',
      DIGEST,
      '--key',
      f.key,
    ],
    exit: 1,
    code: 'TOO_LARGE',
    says: LIMIT,
  },
  {
    name: 'an artifact that is a directory',
    args: (f) => ['verify-bundle', f.garbage, '--artifact', f.folder, '--key', f.key],
    exit: 2,
  },
  {
    name: 'verify-bundle: an artifact that is a FIFO (opened once, never by name again)',
    args: (f) => ['verify-bundle', f.garbage, '--artifact', f.fifo, '--key', f.key],
    exit: 2,
    code: 'FILE_UNREADABLE',
    says: /not a regular file/,
  },
  {
    name: 'verify-bundle: a missing artifact',
    args: (f) => ['verify-bundle', f.garbage, '--artifact', f.missing, '--key', f.key],
    exit: 2,
    says: /no such file/,
  },
  {
    name: 'verify-bundle: --key with --cert-identity (one signer kind)',
    args: (f) => [
      'verify-bundle',
      f.garbage,
      '--digest',
      DIGEST,
      '--key',
      f.key,
      '--cert-identity',
      'https://github.com/o/r/.github/workflows/release.yml@refs/heads/main',
      '--cert-oidc-issuer',
      'https://token.actions.githubusercontent.com',
    ],
    exit: 2,
    code: 'USAGE',
    says: /--key or a certificate signer.*not both/,
  },
  {
    name: 'verify-bundle: --key with a GitHub flag (one signer kind)',
    args: (f) => ['verify-bundle', f.garbage, '--digest', DIGEST, '--key', f.key, '--repo', 'o/r'],
    exit: 2,
    code: 'USAGE',
    says: /not both/,
  },
  {
    name: 'a chain that is a FIFO',
    args: (f) => ['verify-chain', f.fifo, '--artifact', f.empty, '--key', f.key],
    exit: 2,
  },
  {
    name: 'an empty chain',
    args: (f) => ['verify-chain', f.empty, '--artifact', f.empty, '--key', f.key],
    exit: 1,
  },
  {
    name: 'a garbage chain',
    args: (f) => ['verify-chain', f.garbage, '--artifact', f.empty, '--key', f.key],
    exit: 1,
  },
  {
    name: 'an artifact that is a FIFO',
    args: (f) => ['verify-chain', f.garbage, '--artifact', f.fifo, '--key', f.key],
    exit: 2,
  },

  // Commit signers.
  ...(
    [
      ['--allowed-signers', 'oversized', (f: Fixture) => f.over(MAX_ALLOWED_SIGNERS_BYTES), LIMIT],
      ['--allowed-signers', 'garbage', (f: Fixture) => f.garbage, undefined],
      ['--allowed-signers', 'a directory', (f: Fixture) => f.folder, undefined],
      ['--allowed-signers', 'a FIFO', (f: Fixture) => f.fifo, undefined],
      ['--pgp-keys', 'oversized', (f: Fixture) => f.over(MAX_PGP_KEYS_BYTES), LIMIT],
      ['--pgp-keys', 'garbage', (f: Fixture) => f.garbage, undefined],
      ['--pgp-keys', 'missing', (f: Fixture) => f.missing, undefined],
    ] as const
  ).map(([flag, what, path, says]): Case => ({
    name: `verify-commits ${flag} ${what}`,
    args: (f) => ['verify-commits', 'HEAD', '--repo', f.dir, flag, path(f)],
    exit: 2,
    ...(says === undefined ? {} : { says }),
  })),
  { name: 'verify-commits with no signers', args: () => ['verify-commits', 'HEAD'], exit: 2 },
  { name: 'verify-commits a...b', args: () => ['verify-commits', 'a...b'], exit: 2 },

  // Policies and their inputs.
  ...(
    [
      ['missing', (f: Fixture) => f.missing, undefined],
      ['a directory', (f: Fixture) => f.folder, undefined],
      ['a FIFO', (f: Fixture) => f.fifo, undefined],
      ['empty', (f: Fixture) => f.empty, undefined],
      ['garbage', (f: Fixture) => f.garbage, undefined],
      ['oversized', (f: Fixture) => f.over(POLICY_LIMITS.maxBytes), LIMIT],
    ] as const
  ).map(([what, path, says]): Case => ({
    name: `policy check: a policy ${what}`,
    args: (f) => ['policy', 'check', path(f)],
    exit: 2,
    ...(says === undefined ? {} : { says }),
  })),
  { name: 'policy test without --input', args: (f) => ['policy', 'test', f.policy], exit: 2 },
  ...(
    [
      ['a directory', (f: Fixture) => f.folder, undefined],
      ['a FIFO', (f: Fixture) => f.fifo, undefined],
      ['empty', (f: Fixture) => f.empty, undefined],
      ['oversized', (f: Fixture) => f.over(INPUT_LIMITS.maxBytes), LIMIT],
    ] as const
  ).map(([what, path, says]): Case => ({
    name: `policy test: an input ${what}`,
    args: (f) => ['policy', 'test', f.policy, '--input', path(f), '--stage', 'build'],
    exit: 2,
    ...(says === undefined ? {} : { says }),
  })),

  // A guard baseline is a setting: garbage and oversize alike are usage errors.
  {
    name: 'guard --baseline garbage',
    args: (f) => ['guard', '--baseline', f.garbage, '--', 'true'],
    exit: 2,
    code: 'BASELINE_INVALID',
  },
  {
    name: 'guard --baseline oversized',
    args: (f) => ['guard', '--baseline', f.over(BASELINE_LIMITS.maxBytes), '--', 'true'],
    exit: 2,
    code: 'BASELINE_INVALID',
    says: LIMIT,
  },
  {
    name: 'guard: a command that does not exist (nothing started, no spawn error on stderr)',
    args: () => ['guard', '--', 'sathos-no-such-command'],
    exit: 2,
    code: 'USAGE',
    says: /command not found: "sathos-no-such-command"/,
  },
  {
    name: 'guard: a command path that is not executable',
    args: (f) => ['guard', '--', f.garbage],
    exit: 2,
    code: 'USAGE',
    says: /command not found/,
  },
  {
    name: 'guard --baseline a FIFO',
    args: (f) => ['guard', '--baseline', f.fifo, '--', 'true'],
    exit: 2,
  },

  // The deploy gate: what it decides under and with must be usable before anything is read.
  {
    name: 'gate without --chain',
    args: (f) => ['gate', '--artifact', f.empty, '--policy', f.policy, '--environment', 'prod'],
    exit: 2,
    says: /--chain/,
  },
  {
    name: 'gate without --policy',
    args: (f) => ['gate', '--chain', f.garbage, '--artifact', f.empty, '--environment', 'prod'],
    exit: 2,
    code: 'USAGE',
    says: /--policy/,
  },
  {
    name: 'gate without --environment',
    args: (f) => ['gate', '--chain', f.garbage, '--artifact', f.empty, '--policy', f.policy],
    exit: 2,
    code: 'USAGE',
    says: /--environment/,
  },
  {
    name: 'gate without --artifact',
    args: (f) => ['gate', '--chain', f.garbage, '--policy', f.policy, '--environment', 'prod'],
    exit: 2,
    code: 'USAGE',
    says: /--artifact/,
  },
  {
    name: 'gate --key a public key (it signs: a private key is needed)',
    args: (f) => [
      'gate',
      '--chain',
      f.garbage,
      '--artifact',
      f.empty,
      '--policy',
      f.policy,
      '--environment',
      'prod',
      '--key',
      f.key,
    ],
    exit: 2,
  },

  // attest: its flags are checked before any chain or subject is read; nothing is appended.
  {
    name: 'attest without --stage',
    args: (f) => ['attest', '--chain', f.missing],
    exit: 2,
    says: /--stage/,
  },
  {
    name: 'attest without --chain',
    args: () => ['attest', '--stage', 'build'],
    exit: 2,
    says: /--chain/,
  },
  ...(
    [
      ['a stage that is no stage name', ['--stage', 'Build!'], /not a stage name/],
      ['the source stage', ['--stage', 'source'], /verify-commits --chain/],
      [
        'two kinds of subjects',
        ['--stage', 'build', '--subject-path', 'x', '--subject-image', 'y'],
        /one way/,
      ],
      [
        '--predicate without --predicate-type',
        ['--stage', 'build', '--predicate', 'p.json'],
        /go together/,
      ],
      ['no signer', ['--stage', 'build'], /say how to sign/],
      ['--key and --keyless', ['--stage', 'build', '--key', 'k.pem', '--keyless'], /give one/],
      ['--keyless without a token', ['--stage', 'build', '--keyless'], /--oidc-token-file/],
    ] as const
  ).map(([what, flags, says]): Case => ({
    name: `attest with ${what}`,
    args: (f) => ['attest', '--chain', f.missing, ...flags],
    exit: 2,
    code: 'USAGE',
    says,
    after: (f) => {
      assert.equal(existsSync(f.missing), false, 'no chain is written');
    },
  })),
  {
    name: 'attest --key a public key (it signs: a private key is needed)',
    args: (f) => ['attest', '--stage', 'build', '--chain', f.missing, '--key', f.key],
    exit: 2,
    code: 'KEY_UNREADABLE',
  },
  {
    name: 'attest --key a FIFO',
    args: (f) => ['attest', '--stage', 'build', '--chain', f.missing, '--key', f.fifo],
    exit: 2,
  },
  {
    name: 'verify-commits --key without --chain',
    args: (f) => [
      'verify-commits',
      'HEAD',
      '--repo',
      f.dir,
      '--allowed-signers',
      f.empty,
      '--key',
      f.key,
    ],
    exit: 2,
    says: /add --chain/,
  },

  // The demo's directory.
  { name: 'demo without --out', args: () => ['demo'], exit: 2 },
  { name: 'demo --out an empty path', args: () => ['demo', '--out', ''], exit: 2, says: /empty/ },
  {
    name: 'demo --out an existing file',
    args: (f) => ['demo', '--out', f.garbage],
    exit: 2,
    says: /names a file/,
  },
  {
    name: 'demo --out a directory it did not write',
    args: (f) => ['demo', '--out', f.foreignDir],
    exit: 2,
    says: /earlier demo did not write/,
    after: (f) => {
      assert.ok(existsSync(join(f.foreignDir, 'source', 'keep.txt')), 'its files are kept');
    },
  },
  {
    name: 'demo --out where mkdir answers ENOENT under an existing parent (/proc/x)',
    args: () => ['demo', '--out', '/proc/sathos-demo'],
    exit: 2,
    says: /cannot create/,
    skip: !existsSync('/proc/self') && 'no /proc here',
  },
];

/** The args with --json added where it is sathos's flag: before a `--` that ends the flags. */
function withJson(args: readonly string[]): readonly string[] {
  const end = args.indexOf('--');
  return end < 0 ? [...args, '--json'] : [...args.slice(0, end), '--json', ...args.slice(end)];
}

function assertOneLine(run: Run, c: Case): void {
  assert.equal(run.stdout, '', `nothing on stdout without --json: ${run.stdout}`);
  const lines = run.stderr.split('\n');
  assert.equal(lines.length, 2, `exactly one line on stderr, got:\n${run.stderr}`);
  assert.equal(lines[1], '');
  assert.match(lines[0] ?? '', /^error: \S/);
  assert.doesNotMatch(run.stderr, /unexpected error|\n\s+at /);
  if (c.says !== undefined) assert.match(lines[0] ?? '', c.says);
}

function assertOneObject(run: Run, c: Case): void {
  assert.equal(run.stderr, '', `nothing on stderr with --json: ${run.stderr}`);
  const lines = run.stdout.split('\n');
  assert.equal(lines.length, 2, `exactly one JSON line on stdout, got:\n${run.stdout}`);
  const json = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  const verdict = 'verified' in json ? json.verified : json.allowed;
  assert.equal(verdict, false, JSON.stringify(json));
  assert.equal(typeof json.reason, 'string');
  assert.notEqual(json.code, 'INTERNAL_ERROR', String(json.reason));
  if (c.code !== undefined) assert.equal(json.code, c.code, String(json.reason));
  if (c.says !== undefined) assert.match(String(json.reason), c.says);
}

void describe('the sathos command line contract, run as a process', { concurrency: 4 }, () => {
  let fixture: Fixture;
  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sathos-contract-'));
    const put = async (name: string, content: string | Buffer): Promise<string> => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    };
    const folder = join(dir, 'a-directory');
    await mkdir(folder);
    const foreignDir = join(dir, 'project');
    await mkdir(join(foreignDir, 'source'), { recursive: true });
    await writeFile(join(foreignDir, 'source', 'keep.txt'), 'the demo must not remove this\n');
    const fifo = join(dir, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    const unreadable = await put('unreadable.pem', 'x');
    await chmod(unreadable, 0o000);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const oversized = new Map<number, string>();
    for (const bytes of [
      MAX_TRUSTED_ROOT_BYTES,
      MAX_PUBLIC_KEY_BYTES,
      MAX_BUNDLE_FILE_BYTES,
      MAX_ALLOWED_SIGNERS_BYTES,
      MAX_PGP_KEYS_BYTES,
      POLICY_LIMITS.maxBytes,
      INPUT_LIMITS.maxBytes,
      BASELINE_LIMITS.maxBytes,
    ]) {
      oversized.set(bytes, await put(`over-${bytes}`, Buffer.alloc(bytes + 1, 0x20)));
    }
    fixture = {
      dir,
      cli: await bundleCli(dir),
      empty: await put('empty', ''),
      garbage: await put('garbage.json', 'this is not what any flag expects\n'),
      folder,
      fifo,
      missing: join(dir, 'no-such-file'),
      unreadable,
      key: await put('key.pem', publicKey.export({ type: 'spki', format: 'pem' }).toString()),
      policy: await put(
        'policy.yaml',
        [
          'apiVersion: sathos.dev/v1',
          'kind: Policy',
          'stages: [source, build]',
          'identities:',
          `  source: [{ keyId: "sha256:${'a'.repeat(64)}" }]`,
          `  build: [{ keyId: "sha256:${'a'.repeat(64)}" }]`,
          '',
        ].join('\n'),
      ),
      input: await put('input.json', '{"stage": "build"}\n'),
      over: (bytes) => {
        const path = oversized.get(bytes);
        assert.ok(path !== undefined, `no oversized fixture for ${bytes}`);
        return path;
      },
      foreignDir,
    };
  });
  after(async () => {
    await rm(fixture.dir, { recursive: true, force: true });
  });

  // Help is not a verdict (docs/cli.md): usage text and exit 0, also with --json.
  for (const args of [
    ['verify-bundle', '--help', '--json'],
    ['help', 'guard', '--json'],
  ]) {
    void it(`${args.join(' ')}: the usage text, exit 0`, async () => {
      const run = await sathos(fixture.cli, args, fixture.dir);
      assert.equal(run.signal, null, `killed after ${KILL_AFTER_MS} ms: it hung`);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^Usage: sathos /);
      assert.equal(run.stderr, '');
    });
  }

  for (const c of CASES) {
    const modes = c.jsonOnly === true ? [true] : [false, true];
    for (const json of modes) {
      void it(`${c.name}${json ? ' (--json)' : ''}: exit ${c.exit}`, { skip: c.skip }, async () => {
        const args = c.args(fixture);
        const run = await sathos(
          fixture.cli,
          json && c.jsonOnly !== true ? withJson(args) : args,
          fixture.dir,
        );
        assert.equal(run.signal, null, `killed after ${KILL_AFTER_MS} ms: it hung`);
        assert.equal(run.status, c.exit, `exit ${run.status}:\n${run.stderr}${run.stdout}`);
        if (json) assertOneObject(run, c);
        else assertOneLine(run, c);
        c.after?.(fixture);
      });
    }
  }
});
