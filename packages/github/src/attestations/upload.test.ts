import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { uploadAttestation, uploadAll, serverUrlOf } from './upload.js';
import { startGitHubStandIn, type GitHubStandIn } from '../github-stand-in.js';
import { statementBundle } from './test-bundles.js';

const DIGEST = 'ab'.repeat(32);
const REPO = 'octo-org/octo-repo';

void describe('uploading attestations to GitHub', () => {
  let github: GitHubStandIn;
  const sleeps: number[] = [];
  before(async () => {
    github = await startGitHubStandIn({ apiToken: 'ghs_write', readOnlyTokens: ['ghs_read'] });
  });
  after(async () => {
    await github.close();
  });
  const upload = (overrides: Record<string, unknown> = {}) => {
    sleeps.length = 0;
    return {
      apiUrl: github.apiUrl,
      fetch,
      token: 'ghs_write',
      repository: REPO,
      bundle: statementBundle(DIGEST),
      retry: {
        sleep: (ms: number) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
        random: () => 0.5,
        now: () => Date.parse('2026-01-01T00:00:00Z'),
      },
      ...overrides,
    };
  };
  const posts = (from: number) => github.calls.slice(from).filter((c) => c.method === 'POST');

  void it('posts {bundle} with the token and returns the id and page', async () => {
    const from = github.calls.length;
    const options = upload();
    const result = await uploadAttestation(options);
    assert.equal(
      result.url,
      `http://127.0.0.1:${new URL(github.apiUrl).port}/${REPO}/attestations/${result.id}`,
    );
    const call = posts(from)[0];
    assert.ok(call !== undefined);
    assert.equal(call.url, `/repos/${REPO}/attestations`);
    assert.equal(call.authorization, 'Bearer ghs_write');
    assert.deepEqual(JSON.parse(call.body), { bundle: options.bundle });
    assert.deepEqual(github.attestations.at(-1)?.digests, [`sha256:${DIGEST}`]);
  });

  void it('retries through two 502s with growing, jittered waits', async () => {
    const from = github.calls.length;
    github.failNext({ status: 502 }, { status: 502 });
    const result = await uploadAttestation(upload());
    assert.ok(result.id > 0);
    assert.equal(posts(from).length, 3);
    assert.deepEqual(sleeps, [500, 1000]);
  });

  void it('waits as long as Retry-After says on a 429 and a secondary rate limit 403', async () => {
    github.failNext(
      { status: 429, headers: { 'retry-after': '7' } },
      {
        status: 403,
        message: 'You have exceeded a secondary rate limit',
        headers: { 'retry-after': '2' },
      },
      {
        status: 403,
        headers: {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Date.parse('2026-01-01T00:00:03Z') / 1000),
        },
      },
    );
    await uploadAttestation(upload());
    assert.deepEqual(sleeps, [7000, 2000, 3000]);
  });

  void it('refuses at once, naming the permission, when the token may not write attestations', async () => {
    const from = github.calls.length;
    await assert.rejects(uploadAttestation(upload({ token: 'ghs_read' })), {
      code: 'STORE_FAILED',
      message: `the GitHub API answered 403 (Resource not accessible by integration) uploading an attestation to ${REPO}; grant the job \`permissions: attestations: write\` and pass a token that has it (github-token)`,
    });
    assert.equal(posts(from).length, 1);
    assert.deepEqual(sleeps, []);
  });

  void it('never retries a 404 or a 401, and says which token to fix', async () => {
    github.failNext({ status: 404, message: 'Not Found' });
    await assert.rejects(uploadAttestation(upload()), {
      message: /answered 404 .*`permissions: attestations: write`/,
    });
    await assert.rejects(uploadAttestation(upload({ token: 'ghs_wrong' })), {
      message: /answered 401 .*pass a valid github-token/,
    });
    assert.deepEqual(sleeps, []);
  });

  void it('gives up after the attempts with one line, and within the wait budget', async () => {
    const from = github.calls.length;
    github.failNext(...Array.from({ length: 5 }, () => ({ status: 503 })));
    await assert.rejects(uploadAttestation(upload()), {
      code: 'STORE_FAILED',
      message: `the GitHub API answered 503 uploading an attestation to ${REPO}, still after 5 attempts; retry the job later`,
    });
    assert.equal(posts(from).length, 5);
    github.failNext({ status: 429, headers: { 'retry-after': '3600' } });
    await assert.rejects(uploadAttestation(upload()), {
      message: /asks to wait 3600 s, beyond the 60 s retry budget/,
    });
    assert.deepEqual(sleeps, []);
  });

  void it('retries an unreachable API, then says it could not reach it', async () => {
    const refused = (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch;
    await assert.rejects(
      uploadAttestation(
        upload({ fetch: refused, retry: { attempts: 2, sleep: () => Promise.resolve() } }),
      ),
      {
        message: /could not be reached \(fetch failed\) uploading .*still after 2 attempts/,
      },
    );
  });

  void it('refuses what is not a bundle, and an empty token, before sending anything', async () => {
    const from = github.calls.length;
    await assert.rejects(uploadAttestation(upload({ bundle: { hello: 1 } })), {
      code: 'USAGE',
      message: /only a Sigstore bundle/,
    });
    await assert.rejects(uploadAttestation(upload({ token: ' ' })), { message: /needs a token/ });
    await assert.rejects(uploadAttestation(upload({ repository: '../x' })), {
      message: /owner\/name/,
    });
    assert.equal(github.calls.length, from);
  });

  void it('refuses a 201 without an id', async () => {
    github.failNext({ status: 201, body: '{"ok":true}' });
    await assert.rejects(uploadAttestation(upload()), {
      message: /answered 201 without an attestation id/,
    });
  });

  void it('uploadAll stops at the first failure and reports what was stored', async () => {
    const from = github.calls.length;
    const bundles = [0, 1, 2].map((n) => statementBundle(DIGEST, undefined, n));
    github.failNext(
      { status: 201, body: '{"id": 41}' },
      { status: 403, message: 'Resource not accessible by integration' },
    );
    const result = await uploadAll({ ...upload(), bundles });
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.deepEqual(
      result.uploaded.map((u) => u.id),
      [41],
    );
    assert.equal(result.failedIndex, 1);
    assert.match(result.error.message, /answered 403/);
    assert.equal(posts(from).length, 2);
    const all = await uploadAll({ ...upload(), bundles });
    assert.equal(all.ok, true);
    assert.equal(all.uploaded.length, 3);
  });

  void it('derives the attestation page from the API URL', () => {
    assert.equal(serverUrlOf('https://api.github.com'), 'https://github.com');
    assert.equal(serverUrlOf('https://ghes.example/api/v3'), 'https://ghes.example');
    assert.equal(serverUrlOf('https://api.octo.ghe.com/'), 'https://octo.ghe.com');
  });
});
