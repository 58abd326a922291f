// The release workflow (.github/workflows/release.yml) run by the local workflow runner on a
// scratch repository made from this repository's files at HEAD: its commit SSH-signed by a test key
// that the release policy's `commits:` section names as the maintainer, tagged v<version>, pushed as a tag event,
// signing keylessly against the Sigstore stand-ins. What the run cannot do here — reach npm or
// GitHub, rebuild every bundle, run every test — is done by the stand-ins in release-shims/, first
// on the steps' PATH; docs/releasing.md § "What the release test runs" lists each.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGitHubStandIn, type GitHubStandIn } from '@sathos/github/testing';
import { runWorkflow, type RunResult } from '@sathos/github/workflow-runner';
import { startSigstoreStandIn, type SigstoreStandIn } from '@sathos/testkit';
import { ScratchRepo } from './scratch.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const REPOSITORY = 'sathos-dev/sathos';
export const WORKFLOW = '.github/workflows/release.yml';
export const POLICY = '.github/sathos/release-policy.yaml';
/** Where the fixture commits the stand-ins' trusted root (the real release uses the embedded one). */
export const STAND_IN_ROOT = '.github/sathos/stand-in-trusted-root.json';
const SHIMS = join(ROOT, 'test/workflow/release-shims');
const API_TOKEN = 'release-runner-token';

/** The version the release is for: packages/cli's at HEAD, as the workflow's first check reads it. */
export function headVersion(): string {
  const manifest = execFileSync('git', ['-C', ROOT, 'show', 'HEAD:packages/cli/package.json'], {
    encoding: 'utf8',
  });
  return (JSON.parse(manifest) as { version: string }).version;
}

/**
 * release.yml pointed at the stand-ins, and nothing else changed: each SATHOS action's `with:` gets
 * the stand-ins' Fulcio, Rekor, TSA and trusted root after its `signing: keyless` line, and the
 * verify-chain step gets `--trusted-root`. Every anchor must be found exactly as often as expected,
 * so a changed release.yml fails here by name instead of running half pointed at public-good.
 */
export function forStandIns(yaml: string, s: SigstoreStandIn): string {
  const lines = yaml.split('\n');
  const out: string[] = [];
  let signing = 0;
  for (const line of lines) {
    out.push(line);
    const match = /^(\s+)signing: keyless$/.exec(line);
    if (match === null) continue;
    signing += 1;
    const pad = match[1] ?? '';
    out.push(
      `${pad}fulcio-url: ${s.fulcioURL}`,
      `${pad}rekor-url: ${s.rekorURL}`,
      `${pad}tsa-url: ${s.tsaURL}`,
      `${pad}trusted-root: ${STAND_IN_ROOT}`,
    );
  }
  if (signing !== 5)
    throw new Error(`release.yml has ${signing} keyless SATHOS steps, the test expects 5`);
  const verify = '--policy "$POLICY" --environment release';
  const text = out.join('\n');
  if (text.split(verify).length !== 2)
    throw new Error(`release.yml's verify-chain step no longer reads: ${verify}`);
  return text.replace(verify, `${verify} --trusted-root ${STAND_IN_ROOT}`);
}

/** The line of release-policy.yaml that stands where the maintainers' keys go. */
export const NO_KEY_YET = '      # no maintainer key yet\n';

/** The release policy with `signer` (an allowed_signers line) as the one maintainer key. */
export function withMaintainer(policy: string, signer: string): string {
  if (policy.split(NO_KEY_YET).length !== 2)
    throw new Error(`${POLICY} no longer holds the line: ${NO_KEY_YET.trim()}`);
  return policy.replace(NO_KEY_YET, `      ${signer}\n`);
}

/** A file of this repository as committed at HEAD. */
export function atHead(path: string): string {
  return execFileSync('git', ['-C', ROOT, 'show', `HEAD:${path}`], { encoding: 'utf8' });
}

export interface ReleaseCommit {
  /** Keep the policy as committed (no maintainer key) instead of naming the test key. */
  readonly noMaintainer?: boolean;
  /** Leave the commit unsigned. */
  readonly unsigned?: boolean;
  /** More files of the commit (an attack's); the next commit without them restores HEAD's. */
  readonly files?: Readonly<Record<string, string>>;
}

export class ReleaseFixture {
  readonly repo = new ScratchRepo();
  readonly version = headVersion();
  readonly tag = `v${this.version}`;
  sigstore!: SigstoreStandIn;
  github!: GitHubStandIn;
  testSigner = '';
  private sshKey = '';
  private changed = new Set<string>();

  async start(): Promise<void> {
    execFileSync('bash', [
      '-c',
      `git -C "$1" archive HEAD | tar -x -C "$2"`,
      'archive',
      ROOT,
      this.repo.dir,
    ]);
    this.sshKey = join(this.repo.root, 'maintainer-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'm', '-f', this.sshKey]);
    const pub = readFileSync(`${this.sshKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    this.testSigner = `test@sathos.invalid namespaces="git" ${pub}`;
    this.sigstore = await startSigstoreStandIn();
    this.github = await startGitHubStandIn({ apiToken: API_TOKEN, files: {} });
  }

  /** Commits HEAD's files with the overrides and (re)tags the commit; returns its sha. */
  commit(o: ReleaseCommit = {}): string {
    const files = o.files ?? {};
    const restored = Object.fromEntries(
      [...this.changed].filter((path) => !(path in files)).map((path) => [path, atHead(path)]),
    );
    this.changed = new Set(Object.keys(files));
    const sha = this.repo.commit(
      {
        ...restored,
        ...files,
        [WORKFLOW]: forStandIns(atHead(WORKFLOW), this.sigstore),
        [STAND_IN_ROOT]: JSON.stringify(this.sigstore.trustedRoot),
        [POLICY]:
          o.noMaintainer === true
            ? atHead(POLICY)
            : withMaintainer(atHead(POLICY), this.testSigner),
      },
      `release ${this.tag}`,
      o.unsigned === true ? undefined : this.sshKey,
    );
    this.repo.git('tag', '-f', this.tag, sha);
    return sha;
  }

  /** Where run `name`'s gh and npm stand-ins record what they were asked. */
  record(name: string): string {
    return join(this.repo.root, `record-${name}`);
  }

  /** Runs release.yml for the tag at `sha` as a pushed-tag event. */
  async run(name: string, sha: string): Promise<RunResult> {
    const record = this.record(name);
    const home = join(this.repo.root, `home-${name}`);
    mkdirSync(record);
    mkdirSync(home);
    writeFileSync(join(record, 'npm.log'), '');
    const ref = `refs/tags/${this.tag}`;
    const realNpm = execFileSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
    const log = process.env.SATHOS_WORKFLOW_LOG === '1';
    return runWorkflow({
      repository: REPOSITORY,
      repositoryDir: this.repo.dir,
      workflowPath: WORKFLOW,
      sha,
      ref,
      eventName: 'push',
      event: {
        ref,
        before: '0'.repeat(40),
        after: sha,
        created: true,
        deleted: false,
        forced: false,
        base_ref: null,
        repository: { full_name: REPOSITORY, default_branch: 'main', visibility: 'public' },
      },
      workDir: this.repo.workDir(name),
      issueToken: (claims) => this.sigstore.issueToken({ sub: '', ...claims }),
      apiUrl: this.github.apiUrl,
      githubToken: API_TOKEN,
      repositoryVisibility: 'public',
      hostEnv: {
        PATH: `${SHIMS}:${process.env.PATH ?? ''}`,
        HOME: home,
        SATHOS_RELEASE_SHIM_RECORD: record,
        SATHOS_RELEASE_SHIM_NPM: realNpm,
        SATHOS_RELEASE_SHIM_NODE_MODULES: join(ROOT, 'node_modules'),
      },
      ...(log
        ? {
            log: (line: string) => {
              console.log(line);
            },
          }
        : {}),
    });
  }

  async dispose(): Promise<void> {
    await this.github.close();
    await this.sigstore.close();
    this.repo.dispose();
  }
}
