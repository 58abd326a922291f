// A runner in miniature for the attest actions: a workspace with built files, an event payload
// (public or private repository), the variables the runner sets, the Sigstore stand-ins (Fulcio,
// Rekor, TSA, an OIDC issuer) and the GitHub stand-in (token endpoint, attestations API).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  createBundleVerifier,
  recordStep,
  sourceSubjects,
  trustFromJSON,
  type Policy,
} from '@sathos/core';
import {
  jobSigner,
  readRunContext,
  recordingIO,
  runBinding,
  type AttestRuntime,
  type RecordedIO,
} from '@sathos/github';
import { startGitHubStandIn, type GitHubStandIn } from '@sathos/github/testing';
import { JsonlFileStore, collectSubjects, pushAttestation } from '@sathos/node';
import { githubActionsClaims, startSigstoreStandIn, type SigstoreStandIn } from '@sathos/testkit';

export const REPOSITORY = 'octo-org/octo-repo';
export const SHA = '0123456789abcdef0123456789abcdef01234567';
export const WORKFLOW = '.github/workflows/release.yml';
export const WORKFLOW_REF = `${REPOSITORY}/${WORKFLOW}@refs/heads/main`;
export const ISSUER = 'https://token.actions.githubusercontent.com';
export const SAN = `https://github.com/${WORKFLOW_REF}`;
export const API_TOKEN = 'ghs_write';
export const READ_ONLY_TOKEN = 'ghs_read_only';
const REQUEST_TOKEN = 'runner-request-token';

export const sha256 = (bytes: string | Buffer): string =>
  createHash('sha256').update(bytes).digest('hex');

export class AttestFixture {
  readonly work: string;
  readonly workspace: string;
  /** The stand-ins' trusted root, and a copy without transparency logs (GitHub's instance's shape). */
  readonly trustedRoot: string;
  readonly trustedRootNoLog: string;

  private constructor(
    readonly sigstore: SigstoreStandIn,
    readonly github: GitHubStandIn,
  ) {
    this.work = mkdtempSync(join(tmpdir(), 'sathos-attest-'));
    this.workspace = join(this.work, 'workspace');
    mkdirSync(join(this.workspace, 'dist', 'a'), { recursive: true });
    mkdirSync(join(this.workspace, 'dist', 'b'), { recursive: true });
    // Equal basenames in two packages: subjects keep their workspace-relative paths.
    writeFileSync(join(this.workspace, 'dist', 'a', 'app.tar'), 'package a\n');
    writeFileSync(join(this.workspace, 'dist', 'b', 'app.tar'), 'package b\n');
    this.trustedRoot = join(this.work, 'trusted_root.json');
    writeFileSync(this.trustedRoot, JSON.stringify(sigstore.trustedRoot));
    this.trustedRootNoLog = join(this.work, 'trusted_root_no_log.json');
    writeFileSync(this.trustedRootNoLog, JSON.stringify({ ...sigstore.trustedRoot, tlogs: [] }));
  }

  static async start(): Promise<AttestFixture> {
    const sigstore = await startSigstoreStandIn();
    const github = await startGitHubStandIn({
      apiToken: API_TOKEN,
      readOnlyTokens: [READ_ONLY_TOKEN],
      idTokenRequestToken: REQUEST_TOKEN,
      issueIdToken: (aud) =>
        sigstore.issueToken({
          ...githubActionsClaims({
            repository: REPOSITORY,
            workflowPath: WORKFLOW,
            sha: SHA,
            runId: '4242',
            runAttempt: '1',
          }),
          aud,
        }),
    });
    return new AttestFixture(sigstore, github);
  }

  /** Writes an event payload for a repository of this visibility; returns its path. */
  event(visibility: 'public' | 'private'): string {
    const path = join(this.work, `event-${visibility}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        ref: 'refs/heads/main',
        repository: { full_name: REPOSITORY, visibility, private: visibility === 'private' },
      }),
    );
    return path;
  }

  chainPath(name: string): string {
    return join(this.work, name, 'chain.jsonl');
  }

  chainBytes(name: string): Buffer {
    return readFileSync(this.chainPath(name));
  }

  /** The runner's variables of a push run with `id-token: write`. */
  env(visibility: 'public' | 'private' = 'public', extra: Record<string, string> = {}) {
    return {
      GITHUB_REPOSITORY: REPOSITORY,
      GITHUB_WORKFLOW_REF: WORKFLOW_REF,
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_SHA: SHA,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: this.event(visibility),
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: this.github.apiUrl,
      GITHUB_WORKSPACE: this.workspace,
      RUNNER_TEMP: join(this.work, 'runner-temp'),
      ACTIONS_ID_TOKEN_REQUEST_URL: this.github.idTokenRequestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
      PATH: process.env.PATH ?? '',
      ...extra,
    };
  }

  /** The action's inputs as the runner passes them (INPUT_*), keyless against the stand-ins. */
  inputs(chain: string, visibility: 'public' | 'private', extra: Record<string, string> = {}) {
    const sigstore =
      visibility === 'public'
        ? { 'INPUT_FULCIO-URL': this.sigstore.fulcioURL, 'INPUT_REKOR-URL': this.sigstore.rekorURL }
        : { 'INPUT_FULCIO-URL': this.sigstore.fulcioURL, 'INPUT_TSA-URL': this.sigstore.tsaURL };
    return {
      'INPUT_SUBJECT-PATH': 'dist/**/*.tar',
      INPUT_CHAIN: this.chainPath(chain),
      'INPUT_TRUSTED-ROOT': visibility === 'public' ? this.trustedRoot : this.trustedRootNoLog,
      INPUT_SIGNING: 'keyless',
      'INPUT_GITHUB-TOKEN': API_TOKEN,
      ...sigstore,
      ...extra,
    };
  }

  /**
   * Starts a chain as verify-commit-signature does: the source record about the run's commit,
   * signed by this job's keyless identity (public-good stand-ins). Returns the chain's path.
   */
  async startChain(
    name: string,
    visibility: 'public' | 'private' = 'public',
    policy?: Policy,
    privateKeyPem?: string,
  ): Promise<string> {
    const env = this.env(visibility);
    const context = readRunContext(env);
    const signer = await jobSigner(
      privateKeyPem !== undefined
        ? { kind: 'key', privateKeyPem }
        : visibility === 'public'
          ? {
              kind: 'keyless',
              fulcioURL: this.sigstore.fulcioURL,
              rekorURL: this.sigstore.rekorURL,
            }
          : { kind: 'keyless', fulcioURL: this.sigstore.fulcioURL, tsaURL: this.sigstore.tsaURL },
      { env, fetch: globalThis.fetch, serverUrl: context.serverUrl },
    );
    const root =
      visibility === 'public'
        ? this.sigstore.trustedRoot
        : { ...this.sigstore.trustedRoot, tlogs: [] };
    const path = this.chainPath(name);
    await recordStep(
      {
        stage: 'source',
        subjects: sourceSubjects(context.repository, context.sha, context.sha),
        run: runBinding(context),
        ...(policy === undefined ? {} : { policy }),
      },
      {
        store: new JsonlFileStore(path),
        signer,
        trust: { checker: createBundleVerifier(trustFromJSON(root, 'stand-in')) },
      },
    );
    return path;
  }

  /** What run() talks to: this process's fetch, a recorder, the node edge. */
  runtime(env: Record<string, string>): AttestRuntime & { io: RecordedIO } {
    return {
      env,
      fetch: globalThis.fetch,
      io: recordingIO(),
      collectSubjects: (sources, workspace) => collectSubjects(sources, { workspace }),
      openChain: (path) => new JsonlFileStore(path),
      pushToRegistry: (image, bundle, credentials) =>
        pushAttestation({ image, bundle, ...(credentials === undefined ? {} : { credentials }) }),
      // The bare runner: the tests that run commands through it are not about isolation.
      commandIsolation: () => Promise.resolve(undefined),
    };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.sigstore.close(), this.github.close()]);
    rmSync(this.work, { recursive: true, force: true });
  }
}

/** The bundles of a chain file, parsed. */
export function chainBundles(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as unknown);
}

/** The in-toto statement inside a bundle's DSSE envelope. */
export function statementOf(bundle: unknown): {
  predicateType: string;
  subject: { name: string; digest: Record<string, string> }[];
  predicate: Record<string, unknown>;
} {
  const payload = (bundle as { dsseEnvelope: { payload: string } }).dsseEnvelope.payload;
  return JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as ReturnType<
    typeof statementOf
  >;
}
