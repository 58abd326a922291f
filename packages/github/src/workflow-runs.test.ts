import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SathosError } from '@sathos/core';
import { seedRunsFromGitHub, workflowFileOf, type SeedRequest } from './workflow-runs.js';
import {
  baselineCacheKeys,
  directoryCacheBackend,
  restoreBaselineFile,
  saveBaselineFile,
} from './baseline-cache.js';
import type { GitHubApi } from './rest.js';

const TOKEN = 'ghs_test';

interface Job {
  id: number;
  name: string;
  conclusion: string;
  started_at: string;
  completed_at: string;
  steps?: { name: string; conclusion: string; started_at: string; completed_at: string }[];
}

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

function job(id: number, seconds: number, stepSeconds = seconds): Job {
  return {
    id,
    name: 'build',
    conclusion: 'success',
    started_at: at(0),
    completed_at: at(seconds),
    steps: [
      { name: 'Set up job', conclusion: 'success', started_at: at(0), completed_at: at(1) },
      {
        name: 'compile',
        conclusion: 'success',
        started_at: at(1),
        completed_at: at(1 + stepSeconds),
      },
    ],
  };
}

/** A loopback stand-in for the two Actions REST endpoints seeding reads. */
function startApi(): Promise<{ api: GitHubApi; requests: string[]; server: Server }> {
  const runs = [
    { id: 11, conclusion: 'success', event: 'push', head_branch: 'main' },
    { id: 12, conclusion: 'success', event: 'push', head_branch: 'main' },
    { id: 13, conclusion: 'success', event: 'pull_request', head_branch: 'main' },
    { id: 14, conclusion: 'success', event: 'push', head_branch: 'evil' },
    { id: 15, conclusion: 'success', event: 'push', head_branch: 'main' },
    { id: 16, conclusion: 'success', event: 'push', head_branch: 'main' },
  ];
  const jobs: Record<number, Job[]> = {
    11: [job(101, 60, 40)],
    12: [job(102, 70, 50)],
    13: [job(103, 9000)],
    14: [job(104, 9000)],
    15: [{ ...job(105, 80), conclusion: 'failure' }],
    16: [job(106, 0, 0)],
  };
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    let body: unknown = { message: 'Not Found' };
    let status = 404;
    if (req.headers.authorization !== `Bearer ${TOKEN}`) status = 401;
    else if (url.pathname === '/repos/acme/app/actions/workflows/ci.yml/runs') {
      status = 200;
      body = { total_count: runs.length, workflow_runs: runs };
    } else {
      const m = /^\/repos\/acme\/app\/actions\/runs\/(\d+)\/jobs$/.exec(url.pathname);
      if (m !== null) {
        status = 200;
        body = { total_count: 1, jobs: jobs[Number(m[1])] ?? [] };
      }
    }
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        api: { apiUrl: `http://127.0.0.1:${port}`, token: TOKEN, fetch },
        requests,
        server,
      });
    });
  });
}

void describe('seedRunsFromGitHub', () => {
  let api: GitHubApi;
  let requests: string[];
  let server: Server;
  before(async () => {
    ({ api, requests, server } = await startApi());
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const request: SeedRequest = {
    repository: 'acme/app',
    workflow: 'ci.yml',
    branch: 'main',
    job: 'build',
    runs: 10,
  };

  void it('reads successful push runs of the branch and times the job, durations only', async () => {
    const runs = await seedRunsFromGitHub(api, request);
    assert.deepEqual(runs, [
      { at: Date.parse(at(60)), durationMs: 60_000, source: 'github:run/11/job/101' },
      { at: Date.parse(at(70)), durationMs: 70_000, source: 'github:run/12/job/102' },
    ]);
    assert.ok(requests[0]?.includes('status=success'));
    assert.ok(requests[0]?.includes('event=push'));
    assert.ok(requests[0]?.includes('branch=main'));
  });

  void it('ignores runs of other events or branches, failed jobs and zero-second timings', async () => {
    const runs = await seedRunsFromGitHub(api, request);
    assert.ok(
      runs.every((r) => r.durationMs < 9_000_000),
      'the pull_request and evil runs',
    );
    assert.ok(!runs.some((r) => r.source?.includes('job/105') === true), 'the failed job');
    assert.ok(!runs.some((r) => r.source?.includes('job/106') === true), 'the 0 s job');
  });

  void it('times one step of the job, and skips runs already in the baseline', async () => {
    const runs = await seedRunsFromGitHub(api, {
      ...request,
      step: 'compile',
      skipSources: new Set(['github:run/12/job/102']),
    });
    assert.deepEqual(runs, [
      { at: Date.parse(at(41)), durationMs: 40_000, source: 'github:run/11/job/101' },
    ]);
  });

  void it('refuses a bad token with a line naming the permission, and bad requests', async () => {
    await assert.rejects(
      seedRunsFromGitHub({ ...api, token: 'wrong' }, request),
      (e: unknown) => e instanceof SathosError && /actions: read/.test(e.message),
    );
    await assert.rejects(
      seedRunsFromGitHub(api, { ...request, workflow: '../../evil' }),
      /workflow file name/,
    );
    await assert.rejects(seedRunsFromGitHub(api, { ...request, runs: 0 }), /at most/);
  });

  void it('finds the workflow file of a workflow ref', () => {
    assert.equal(workflowFileOf('acme/app/.github/workflows/ci.yml@refs/heads/main'), 'ci.yml');
    assert.equal(workflowFileOf('acme/app@main'), undefined);
  });
});

void describe('the baseline cache', () => {
  void it('saves under the run and restores the newest entry of the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sathos-cache-'));
    try {
      const backend = directoryCacheBackend(join(dir, 'cache'));
      const file = join(dir, 'baseline.json');
      const first = baselineCacheKeys('build', { runId: '1', runAttempt: 1 });
      assert.equal(first.save, 'sathos-baseline-v1/build/1-1');
      assert.deepEqual(await restoreBaselineFile(backend, file, first.prefix), {});
      writeFileSync(file, 'one');
      assert.equal(await saveBaselineFile(backend, file, first.save), undefined);
      writeFileSync(file, 'two');
      const second = baselineCacheKeys('build', { runId: '2', runAttempt: 1 });
      await saveBaselineFile(backend, file, second.save);
      writeFileSync(file, 'stale');
      assert.deepEqual(await restoreBaselineFile(backend, file, second.prefix), {
        key: second.save,
      });
      assert.equal(readFileSync(file, 'utf8'), 'two');
      // `build` saved `…/build/2-1`: the prefix of `build-2` must not find it.
      const other = baselineCacheKeys('build-2', { runId: '3', runAttempt: 1 });
      assert.deepEqual(await restoreBaselineFile(backend, file, other.prefix), {});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('turns a cache failure into a note, and refuses a key that is not a step id', async () => {
    const broken = {
      restore: () => Promise.reject(new Error('service down')),
      save: () => Promise.reject(new Error('read-only token')),
    };
    assert.match((await restoreBaselineFile(broken, 'x', 'p')).note ?? '', /service down/);
    assert.match((await saveBaselineFile(broken, 'x', 'k')) ?? '', /read-only token/);
    assert.throws(() => baselineCacheKeys('../x', { runId: '1', runAttempt: 1 }), /baseline-key/);
  });
});
