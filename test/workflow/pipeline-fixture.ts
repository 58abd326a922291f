// The reusable pipeline run end to end by the local runner: a SATHOS repository holding the
// workflows and the committed action bundles of this working tree, an application repository
// whose commit is SSH-signed and whose release workflow calls the pipeline pinned by sha, a policy
// served by the GitHub stand-in at a pinned commit, and the Sigstore stand-ins (OIDC issuer,
// Fulcio, Rekor, TSA) behind each job's keyless signing.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGitHubStandIn, type GitHubStandIn } from '@sathos/github/testing';
import { runWorkflow, type RunResult } from '@sathos/github/workflow-runner';
import { startSigstoreStandIn, type SigstoreStandIn } from '@sathos/testkit';
import { X509Certificate } from '@sigstore/core';
import { subjectAlternativeName } from '@sathos/core';
import { ScratchRepo } from './scratch.js';

/** The SAN of a chain line's signing certificate. */
export function signerOf(line: string): string | undefined {
  const raw = (
    JSON.parse(line) as { verificationMaterial?: { certificate?: { rawBytes?: string } } }
  ).verificationMaterial?.certificate?.rawBytes;
  return raw === undefined
    ? undefined
    : subjectAlternativeName(X509Certificate.parse(Buffer.from(raw, 'base64')));
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SATHOS = 'sathos-dev/sathos';
export const APP = 'octo-org/app';
export const POLICY_REPO = 'octo-org/policies';
export const POLICY_COMMIT = 'c0ffee0000000000000000000000000000000001';
const ISSUER = 'https://token.actions.githubusercontent.com';
const API_TOKEN = 'runner-token-for-the-stand-in';
export const STAGE_FILES = ['source', 'build', 'test', 'scan', 'deploy'].map(
  (s) => `.github/workflows/sathos-${s}.yml`,
);

/** The workflows and every action's action.yml and dist/ of this working tree, as one commit. */
function sathosFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(join(ROOT, '.github/workflows')).filter((n) =>
    n.startsWith('sathos-'),
  ))
    files[`.github/workflows/${name}`] = readFileSync(
      join(ROOT, '.github/workflows', name),
      'utf8',
    );
  return files;
}

function copyActions(into: string): void {
  for (const action of readdirSync(join(ROOT, 'actions'))) {
    const dist = join(ROOT, 'actions', action, 'dist');
    if (!existsSync(dist)) continue;
    cpSync(
      join(ROOT, 'actions', action, 'action.yml'),
      join(into, 'actions', action, 'action.yml'),
    );
    cpSync(dist, join(into, 'actions', action, 'dist'), { recursive: true });
  }
}

export interface PipelineOptions {
  /** The caller workflow's YAML, with SATHOS_SHA standing for the pinned commit. */
  readonly caller: string;
  readonly policy: string;
  /** Files of the application repository beside the caller. */
  readonly appFiles: Record<string, string>;
}

export class PipelineFixture {
  readonly sathos = new ScratchRepo();
  readonly app = new ScratchRepo();
  sathosSha = '';
  sigstore!: SigstoreStandIn;
  github: GitHubStandIn | undefined;
  private sshKey = '';
  allowedSigners = '';

  /** `extra` workflow files join the SATHOS commit (a tampered pipeline, for attack tests). */
  async start(
    extra: (files: Record<string, string>) => Record<string, string> = () => ({}),
  ): Promise<void> {
    copyActions(this.sathos.dir);
    const files = sathosFiles();
    this.sathosSha = this.sathos.commit({ ...files, ...extra(files) }, 'sathos');
    this.sigstore = await startSigstoreStandIn();
    this.sshKey = join(this.app.root, 'commit-key');
    execFileSync('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'test@sathos.invalid',
      '-f',
      this.sshKey,
    ]);
    const pub = readFileSync(`${this.sshKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    this.allowedSigners = `test@sathos.invalid namespaces="git" ${pub}`;
  }

  /** The identity Fulcio certifies for a job defined in `file` of the SATHOS repository. */
  identity(file: string): string {
    return `https://github.com/${SATHOS}/${file}@${this.sathosSha}`;
  }

  identitiesYaml(stages: Record<string, string>): string {
    return Object.entries(stages)
      .map(
        ([stage, file]) =>
          `  ${stage}:\n    - { issuer: '${ISSUER}', subject: '${this.identity(file)}' }`,
      )
      .join('\n');
  }

  /** Commits the application (SSH-signed), serves the policy, and runs its release workflow. */
  async run(
    name: string,
    o: PipelineOptions,
    between?: (job: string, artifactsDir: string) => void,
  ): Promise<RunResult> {
    const appSha = this.app.commit(
      {
        ...o.appFiles,
        'trusted_root.json': JSON.stringify(this.sigstore.trustedRoot),
        '.github/workflows/release.yml': o.caller.replaceAll('SATHOS_SHA', this.sathosSha),
      },
      name,
      this.sshKey,
    );
    await this.github?.close();
    const github = await startGitHubStandIn({
      apiToken: API_TOKEN,
      files: { [`${POLICY_REPO}/policy.yaml@${POLICY_COMMIT}`]: o.policy },
    });
    this.github = github;
    const log = process.env.SATHOS_WORKFLOW_LOG === '1';
    return runWorkflow({
      repository: APP,
      repositoryDir: this.app.dir,
      workflowPath: '.github/workflows/release.yml',
      sha: appSha,
      event: {
        before: '0'.repeat(40),
        after: appSha,
        ref: 'refs/heads/main',
        forced: false,
        repository: {
          default_branch: 'main',
          visibility: 'public',
          private: false,
          full_name: APP,
        },
      },
      repositories: { [SATHOS]: this.sathos.dir },
      workDir: this.app.workDir(name),
      issueToken: (claims) => this.sigstore.issueToken({ sub: '', ...claims }),
      apiUrl: github.apiUrl,
      githubToken: API_TOKEN,
      repositoryVisibility: 'public',
      hostEnv: { PATH: process.env.PATH ?? '', HOME: this.app.root },
      ...(between === undefined ? {} : { afterJob: between }),
      ...(log
        ? {
            log: (line: string) => {
              console.log(line);
            },
          }
        : {}),
    });
  }

  /** The lines of the chain a job of run `name` uploaded as `artifact`. */
  chain(name: string, artifact: string): string[] {
    const work = this.app.workDir(name);
    const dir = readdirSync(work).find((n) => n.startsWith('artifacts-')) ?? '';
    return readFileSync(join(work, dir, artifact, 'chain.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  }

  async dispose(): Promise<void> {
    await this.github?.close();
    await this.sigstore.close();
    this.sathos.dispose();
    this.app.dispose();
  }
}

/** A caller with `with:` for the pipeline's Sigstore stand-ins. */
export function sigstoreWith(fixture: PipelineFixture): string {
  const s = fixture.sigstore;
  return [
    `      fulcio-url: ${s.fulcioURL}`,
    `      rekor-url: ${s.rekorURL}`,
    `      tsa-url: ${s.tsaURL}`,
    '      trusted-root: trusted_root.json',
  ].join('\n');
}
