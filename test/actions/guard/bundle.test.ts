// The committed bundle (dist/index.js, what the runner executes) run as the runner would: a node
// process with INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUNDLE = fileURLToPath(new URL('../../../actions/guard/dist/index.js', import.meta.url));

interface Finished {
  code: number;
  stdout: string;
}

function runBundle(env: Record<string, string>): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BUNDLE], { env, timeout: 120_000 }, (error, stdout) => {
      resolve({
        code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
        stdout,
      });
    });
  });
}

void describe('the bundled guard action', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'sathos-guard-bundle-'));
  });
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  const runnerEnv = (name: string, inputs: Record<string, string>) => {
    const output = join(work, `${name}-output`);
    const summary = join(work, `${name}-summary`);
    writeFileSync(output, '');
    writeFileSync(summary, '');
    const eventPath = join(work, `${name}-event.json`);
    writeFileSync(eventPath, JSON.stringify({ repository: { default_branch: 'main' } }));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: work,
      GITHUB_REPOSITORY: 'octo-org/octo-repo',
      GITHUB_WORKFLOW_REF: 'octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main',
      GITHUB_RUN_ID: '99',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_SHA: 'a'.repeat(40),
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_API_URL: 'http://127.0.0.1:9',
      RUNNER_TEMP: join(work, `${name}-temp`),
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      INPUT_SANDBOX: 'auto',
      'INPUT_RECORD-BASELINE': 'false',
    };
    for (const [input, value] of Object.entries(inputs))
      env[`INPUT_${input.toUpperCase()}`] = value;
    return { env, output, summary };
  };

  void it('runs the command, writes the outputs, the report and the job summary', async () => {
    const marker = join(work, 'ran');
    const { env, output, summary } = runnerEnv('ok', { run: `echo hello > ${marker}` });
    const finished = await runBundle(env);
    assert.equal(finished.code, 0, finished.stdout);
    assert.equal(readFileSync(marker, 'utf8'), 'hello\n');
    const outputs = readFileSync(output, 'utf8');
    assert.match(outputs, /halted<<.*\nfalse\n/);
    assert.match(outputs, /findings<<.*\n\[\]\n/);
    const reportPath = /report<<.*\n(.*)\n/.exec(outputs)?.[1] ?? '';
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as { sandbox: string };
    assert.ok(['netns', 'iptables', 'proxy-env'].includes(report.sandbox));
    assert.match(readFileSync(summary, 'utf8'), /SATHOS guard: step default, no findings/);
  });

  void it('fails the step when the command is halted at max-duration', async () => {
    const { env, output } = runnerEnv('halt', { run: 'sleep 30', 'max-duration': '1' });
    const finished = await runBundle(env);
    assert.equal(finished.code, 1);
    assert.match(finished.stdout, /::error::the step was halted: the step ran past its deadline/);
    assert.match(readFileSync(output, 'utf8'), /halted<<.*\ntrue\n/);
  });

  void it('fails the step with one line for an unusable input', async () => {
    const { env } = runnerEnv('bad', { run: 'true', mode: 'lax' });
    const finished = await runBundle(env);
    assert.equal(finished.code, 1);
    assert.match(finished.stdout, /::error::USAGE: input "mode" is "lax"/);
  });
});
