// The action's run() against a real git repository with ssh-keygen-signed commits, a fake event
// payload and a loopback GitHub API, signing the source record with a key.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import {
  COMMIT_SIGNATURES_V1,
  createBundleVerifier,
  parseChainText,
  parsePublicKeys,
  publicGoodTrust,
  verifyChain,
  type ChainVerification,
} from '@sathos/core';
import { recordingIO, type RecordedIO } from '@sathos/github';
import { startGitHubStandIn, type GitHubStandIn } from '@sathos/github/testing';
import { run } from '../../../actions/verify-commit-signature/src/main.js';
import { ActionFixture, REPOSITORY } from './fixture.js';

const ZERO = '0'.repeat(40);

function verifyKeyChain(fx: ActionFixture, chain: string): ChainVerification {
  const checker = createBundleVerifier(publicGoodTrust(), {
    keys: parsePublicKeys(fx.recordKey.publicKeyPem, 'record key'),
    allowUnloggedKeySignatures: true,
  });
  const keyId = checker.verify(JSON.parse(readFileSync(chain, 'utf8').split('\n')[0] ?? '')).signer;
  assert.equal(keyId.kind, 'key');
  return verifyChain({
    lines: parseChainText(readFileSync(chain, 'utf8'), chain),
    checker,
    requirements: {
      stages: ['source'],
      identities: { source: [{ keyId: keyId.keyId }] },
      requireTerminal: false,
    },
    artifacts: [],
    source: chain,
  });
}

/** GitHub's pull request test merge: an unsigned two-parent commit, base first, head second. */
function githubTestMerge(
  fx: ActionFixture,
  base: string | undefined,
  head: string | undefined,
): string {
  assert.ok(base !== undefined && head !== undefined);
  const tree = fx.repo.git(['rev-parse', `${head}^{tree}`]);
  return fx.repo.git(['commit-tree', tree, '-p', base, '-p', head, '-m', 'Merge into base'], {
    GIT_AUTHOR_NAME: 'Octo Cat',
    GIT_AUTHOR_EMAIL: 'octocat@example.com',
    GIT_COMMITTER_NAME: 'GitHub',
    GIT_COMMITTER_EMAIL: 'noreply@github.com',
  });
}

void describe('verify-commit-signature run()', () => {
  let fx: ActionFixture;
  let github: GitHubStandIn;
  let unsigned: string;
  let foreign: string;
  before(async () => {
    fx = new ActionFixture();
    fx.repo.git(['checkout', '-q', '-b', 'feature']);
    unsigned = fx.repo.commit({ signing: { none: true } });
    foreign = fx.repo.commit({
      signing: { ssh: fx.mallory.privatePath },
      email: 'mallory@example.com',
    });
    fx.repo.git(['checkout', '-q', 'main']);
    fx.repo.git(['update-ref', 'refs/remotes/origin/main', fx.commits[0]]);
    github = await startGitHubStandIn({
      apiToken: 'ghs_test',
      pullRequests: {
        [`${REPOSITORY}#7`]: [fx.commits[1], fx.commits[2]],
        [`${REPOSITORY}#8`]: [fx.commits[1], unsigned, foreign],
      },
    });
  });
  after(async () => {
    await github.close();
    fx.dispose();
  });

  const runWith = async (
    env: Record<string, string>,
    overrides: Parameters<ActionFixture['inputs']>[0] = {},
  ): Promise<RecordedIO> => {
    const io = recordingIO();
    await run(fx.inputs(overrides), {
      env: { ...env, GITHUB_API_URL: github.apiUrl },
      fetch,
      io,
    });
    return io;
  };

  void describe('when every pushed commit is signed by an allowed signer', () => {
    let io: RecordedIO;
    let chain: string;
    before(async () => {
      const [c0, , c2] = fx.commits;
      chain = fx.chainPath('push-ok');
      io = await runWith(fx.env('push', fx.pushEvent(c0, c2), c2), { chain });
    });

    void it('succeeds and outputs the verified commits, parents first', () => {
      assert.deepEqual(io.failures, []);
      assert.equal(
        io.outputs.get('verified-commits'),
        JSON.stringify([fx.commits[1], fx.commits[2]]),
      );
    });

    void it('writes a summary row per commit: commit, signer, key, verdict, reason', () => {
      const table = io.summaries[0]?.table;
      assert.deepEqual(table?.header, ['commit', 'signer', 'key', 'verdict', 'reason']);
      assert.equal(table.rows.length, 2);
      const [commit, signer, key, verdict] = table.rows[0] ?? [];
      assert.equal(commit, fx.commits[1].slice(0, 12));
      assert.equal(signer, 'alice@example.com');
      assert.match(key ?? '', /^SHA256:/);
      assert.equal(verdict, '✅ verified');
    });

    void it('appends a genesis record that verifies as the start of a chain, bound to the commit', () => {
      const verified = verifyKeyChain(fx, chain);
      assert.equal(verified.genesis.stage, 'source');
      assert.equal(`sha256:${verified.genesis.digest}`, io.outputs.get('genesis-digest'));
      assert.deepEqual(verified.genesis.statement.subject, [
        { name: `git+${REPOSITORY}`, digest: { gitCommit: fx.commits[2] } },
      ]);
      assert.equal(verified.run.runId, '4242');
      const [evidence] = verified.genesis.evidence;
      assert.equal(evidence?.predicateType, COMMIT_SIGNATURES_V1);
    });

    void it('writes the genesis record alone to the genesis-record path', () => {
      const path = io.outputs.get('genesis-record') ?? '';
      const lines = readFileSync(chain, 'utf8').trim().split('\n');
      assert.equal(readFileSync(path, 'utf8').trim(), lines[1]);
    });

    void it('lists each commit signature in the evidence', () => {
      const [evidenceLine] = readFileSync(chain, 'utf8').split('\n');
      const bundle = JSON.parse(evidenceLine ?? '') as { dsseEnvelope: { payload: string } };
      const statement = JSON.parse(
        Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'),
      ) as {
        predicate: { commits: { commit: string; format: string; verdict: string }[] };
      };
      assert.deepEqual(
        statement.predicate.commits.map((c) => [c.commit, c.format, c.verdict]),
        [
          [fx.commits[1], 'ssh', 'verified'],
          [fx.commits[2], 'ssh', 'verified'],
        ],
      );
    });
  });

  void describe('when a pushed commit is unsigned or signed by a key not on the list', () => {
    let io: RecordedIO;
    let chain: string;
    before(async () => {
      chain = fx.chainPath('push-bad');
      io = await runWith(fx.env('push', fx.pushEvent(fx.commits[0], foreign), foreign), { chain });
    });

    void it('fails the step, with one error line naming each rejected commit', () => {
      assert.equal(io.failures.length, 1);
      assert.match(io.failures[0] ?? '', /^COMMIT_REJECTED: 2 of 4 commit\(s\) rejected/);
      const errors = io.lines.filter((l) => l.level === 'error').map((l) => l.line);
      assert.equal(errors.length, 2);
      assert.match(errors[0] ?? '', new RegExp(`^commit ${unsigned}: `));
      assert.match(errors[1] ?? '', new RegExp(`^commit ${foreign}: `));
    });

    void it('appends no record and sets no genesis output', () => {
      assert.equal(existsSync(chain), false);
      assert.equal(io.outputs.has('genesis-digest'), false);
    });

    void it('still shows every commit in the summary', () => {
      assert.deepEqual(
        io.summaries[0]?.table?.rows.map((r) => r[3]),
        ['✅ verified', '✅ verified', '❌ rejected', '❌ rejected'],
      );
    });
  });

  void describe('when the event is a pull request', () => {
    const prEvent = (number: number, head: string) =>
      fx.event('pull_request', {
        number,
        pull_request: {
          number,
          base: { sha: fx.commits[0], repo: { full_name: REPOSITORY } },
          head: { sha: head, repo: { full_name: REPOSITORY } },
        },
      });

    void it('verifies the commits the API lists, and binds the genesis to the test merge and the head', async () => {
      const chain = fx.chainPath('pr-ok');
      const mergeSha = githubTestMerge(fx, fx.commits[0], fx.commits[2]);
      const io = await runWith(fx.env('pull_request', prEvent(7, fx.commits[2]), mergeSha), {
        chain,
      });
      assert.deepEqual(io.failures, []);
      assert.ok(
        github.requests.includes(`/repos/${REPOSITORY}/pulls/7/commits?per_page=100&page=1`),
      );
      const verified = verifyKeyChain(fx, chain);
      assert.deepEqual(
        verified.genesis.statement.subject.map((s) => s.digest?.gitCommit),
        [mergeSha, fx.commits[2]],
      );
    });

    void it('refuses when the run builds a commit that is neither the head nor its test merge', async () => {
      const chain = fx.chainPath('pr-unrelated');
      const io = await runWith(fx.env('pull_request', prEvent(7, fx.commits[2]), fx.commits[0]), {
        chain,
      });
      assert.match(io.failures[0] ?? '', /^RANGE_UNVERIFIABLE: .*neither the verified head/);
      assert.equal(existsSync(chain), false);
    });

    void it('rejects a pull request carrying an unsigned commit, naming it', async () => {
      const chain = fx.chainPath('pr-bad');
      const io = await runWith(fx.env('pull_request', prEvent(8, foreign), fx.commits[0]), {
        chain,
      });
      assert.match(io.failures[0] ?? '', /COMMIT_REJECTED/);
      assert.ok(
        io.lines.some((l) => l.level === 'error' && l.line.startsWith(`commit ${unsigned}:`)),
      );
      assert.equal(existsSync(chain), false);
    });

    void it('refuses when the listed commits do not end at the event head', async () => {
      const io = await runWith(fx.env('pull_request', prEvent(7, foreign), fx.commits[0]), {
        chain: fx.chainPath('pr-stale'),
      });
      assert.match(io.failures[0] ?? '', /^RANGE_UNVERIFIABLE: .*not the event's head/);
    });

    void it('names the missing permission when the API refuses the token', async () => {
      const io = await runWith(fx.env('pull_request', prEvent(7, fx.commits[2]), fx.commits[0]), {
        chain: fx.chainPath('pr-token'),
        githubToken: 'wrong',
      });
      assert.match(io.failures[0] ?? '', /`permissions: pull-requests: read`/);
    });
  });

  void describe('when the push created the branch or deleted it', () => {
    void it('verifies the commits not on the default branch for a new branch', async () => {
      const chain = fx.chainPath('created');
      const io = await runWith(fx.env('push', fx.pushEvent(ZERO, fx.commits[2]), fx.commits[2]), {
        chain,
      });
      assert.deepEqual(io.failures, []);
      assert.equal(
        io.outputs.get('verified-commits'),
        JSON.stringify([fx.commits[1], fx.commits[2]]),
      );
    });

    void it('verifies the head alone when the range is empty, and says so', async () => {
      const chain = fx.chainPath('empty');
      const [c0] = fx.commits;
      const io = await runWith(fx.env('push', fx.pushEvent(fx.commits[2], c0), c0), { chain });
      assert.deepEqual(io.failures, []);
      assert.equal(io.outputs.get('verified-commits'), JSON.stringify([c0]));
      assert.match(io.summaries[0]?.lines.join('\n') ?? '', /so it was verified as well/);
    });

    void it('writes nothing for a deleted branch', async () => {
      const chain = fx.chainPath('deleted');
      const io = await runWith(fx.env('push', fx.pushEvent(fx.commits[2], ZERO), fx.commits[2]), {
        chain,
      });
      assert.deepEqual(io.failures, []);
      assert.equal(io.outputs.get('verified-commits'), '[]');
      assert.ok(io.lines.some((l) => l.level === 'notice' && /deleted the branch/.test(l.line)));
      assert.equal(existsSync(chain), false);
    });
  });

  void describe('when the inputs name the commits', () => {
    void it('verifies an explicit range', async () => {
      const io = await runWith(fx.env('workflow_dispatch', '', fx.commits[2]), {
        chain: fx.chainPath('range'),
        commits: { kind: 'range', base: 'main~1', head: 'main' },
      });
      assert.deepEqual(io.failures, []);
      assert.equal(io.outputs.get('verified-commits'), JSON.stringify([fx.commits[2]]));
    });

    void it('rejects an explicit list holding an unsigned commit', async () => {
      const io = await runWith(fx.env('workflow_dispatch', '', unsigned), {
        chain: fx.chainPath('list'),
        commits: { kind: 'list', commits: [unsigned] },
      });
      assert.match(io.failures[0] ?? '', /^COMMIT_REJECTED/);
    });
  });

  void describe('when the chain already holds records', () => {
    void it('refuses before verifying anything: the source record starts a chain', async () => {
      const chain = fx.chainPath('push-ok');
      const io = await runWith(
        fx.env('push', fx.pushEvent(fx.commits[0], fx.commits[2]), fx.commits[2]),
        { chain },
      );
      assert.match(io.failures[0] ?? '', /^USAGE: .*already holds 2 bundle\(s\)/);
      assert.equal(io.summaries.length, 0);
    });
  });

  void describe('when keyless signing is chosen but the job has no id-token permission', () => {
    void it('fails at once with the missing permissions line, and writes nothing', async () => {
      const chain = fx.chainPath('no-oidc');
      const io = await runWith(
        fx.env('push', fx.pushEvent(fx.commits[0], fx.commits[2]), fx.commits[2]),
        {
          chain,
          signing: {
            kind: 'keyless',
            fulcioURL: 'http://127.0.0.1:9',
            rekorURL: 'http://127.0.0.1:9',
          },
        },
      );
      assert.equal(
        io.failures[0],
        "USAGE: keyless signing needs the job's OIDC token, and this job has none: add `permissions: id-token: write` to the job (or use `signing: key`)",
      );
      assert.equal(io.summaries.length, 0);
      assert.equal(existsSync(chain), false);
    });
  });

  void describe('when the runner environment is incomplete', () => {
    void it('fails naming the missing variables', async () => {
      const io = recordingIO();
      await run(fx.inputs({ chain: fx.chainPath('env') }), { env: {}, fetch, io });
      assert.match(io.failures[0] ?? '', /lacks GITHUB_REPOSITORY/);
    });
  });
});
