// A runner in miniature for the verify-commit-signature action: a real git repository with
// ssh-keygen-signed commits, the variables the runner sets, an event payload file, a chain path.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKeyPair, type SigningKeyPairPem } from '@sathos/core';
import type { RunInputs } from '../../../actions/verify-commit-signature/src/inputs.js';
import { TestRepo, allowedSignersLine, type SshKeyFiles } from '../../commits/repo-builder.js';

export const REPOSITORY = 'octo-org/octo-repo';
export const WORKFLOW_REF = `${REPOSITORY}/.github/workflows/ci.yml@refs/heads/main`;

export class ActionFixture {
  readonly repo: TestRepo;
  readonly work: string;
  readonly alice: SshKeyFiles;
  readonly mallory: SshKeyFiles;
  readonly allowedSigners: string;
  readonly recordKey: SigningKeyPairPem;
  /** Commits on main: an allowed-signed root, then two more allowed-signed commits. */
  readonly commits: readonly [string, string, string];

  constructor() {
    this.repo = TestRepo.create();
    this.work = mkdtempSync(join(tmpdir(), 'sathos-action-'));
    this.alice = this.repo.sshKey('alice');
    this.mallory = this.repo.sshKey('mallory');
    this.allowedSigners = join(this.work, 'allowed_signers');
    writeFileSync(
      this.allowedSigners,
      allowedSignersLine('alice@example.com', this.alice, 'namespaces="git"'),
    );
    this.recordKey = generateSigningKeyPair();
    const signed = { signing: { ssh: this.alice.privatePath } };
    this.commits = [this.repo.commit(signed), this.repo.commit(signed), this.repo.commit(signed)];
  }

  /** Writes an event payload and returns its path. */
  event(name: string, payload: unknown): string {
    const path = join(this.work, `${name}-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(payload));
    return path;
  }

  pushEvent(before: string, after: string, extra: Record<string, unknown> = {}): string {
    return this.event('push', {
      before,
      after,
      forced: false,
      ref: 'refs/heads/main',
      repository: { default_branch: 'main' },
      ...extra,
    });
  }

  /** The runner's variables for a run of `eventName` at `sha`. */
  env(
    eventName: string,
    eventPath: string,
    sha: string,
    extra: Record<string, string> = {},
  ): Record<string, string> {
    return {
      GITHUB_REPOSITORY: REPOSITORY,
      GITHUB_WORKFLOW_REF: WORKFLOW_REF,
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_SHA: sha,
      GITHUB_EVENT_NAME: eventName,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'http://127.0.0.1:9',
      RUNNER_TEMP: join(this.work, 'runner-temp'),
      ...extra,
    };
  }

  chainPath(name = 'chain'): string {
    return join(this.work, name, 'chain.jsonl');
  }

  /** Inputs as a workflow with allowed-signers and key signing would give them. */
  inputs(overrides: Partial<RunInputs> = {}): RunInputs {
    return {
      signers: { kind: 'files', allowedSigners: this.allowedSigners },
      commits: { kind: 'event' },
      chain: this.chainPath(),
      signing: { kind: 'key', privateKeyPem: this.recordKey.privateKeyPem },
      githubToken: 'ghs_test',
      repositoryPath: this.repo.dir,
      ...overrides,
    };
  }

  dispose(): void {
    this.repo.dispose();
    rmSync(this.work, { recursive: true, force: true });
  }
}
