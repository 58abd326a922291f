// Workflow posture of a repository with 50 workflows (the fixtures' shapes, each repeated): read at
// the commit from git, parsed with GitHub's parser, judged by the baseline (target < 1 s), against
// a plain YAML parse of the same 50 files already in memory, and against GitHub's parser alone
// (parseWorkflow + convertWorkflowTemplate, in memory): what posture adds on top of the parse.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NoOperationTraceWriter,
  convertWorkflowTemplate,
  parseWorkflow,
} from '@actions/workflow-parser';
import { parse as parseYaml } from 'yaml';
import { baselinePolicy, evaluatePosture, postureFindings } from '@sathos/core';
import { collectPosture, openGitSource } from '@sathos/github/posture';
import { measure, ratio, type BenchRow } from './lib.js';

const WORKFLOWS = 50;
const TARGET_MS = 1000;
const FIXTURES = new URL('../test/fixtures/workflows/', import.meta.url).pathname;

/** A repository whose .github/workflows holds WORKFLOWS files copied round-robin from the fixtures. */
function benchRepo(root: string): { dir: string; texts: string[] } {
  const dir = join(root, 'repo');
  const sources: string[] = [];
  for (const name of readdirSync(FIXTURES).sort()) {
    cpSync(join(FIXTURES, name, '.github'), join(dir, '.github'), {
      recursive: true,
      force: false,
    });
    const wf = join(FIXTURES, name, '.github', 'workflows');
    for (const file of readdirSync(wf)) sources.push(join(wf, file));
  }
  const texts: string[] = [];
  for (let i = 0; i < WORKFLOWS; i++) {
    const text = readFileSync(sources[i % sources.length] ?? '', 'utf8');
    texts.push(text);
    cpSync(
      sources[i % sources.length] ?? '',
      join(dir, '.github', 'workflows', `w${String(i).padStart(2, '0')}.yml`),
    );
  }
  const git = (...args: string[]): void => {
    execFileSync('git', ['-C', dir, ...args], {
      env: {
        PATH: process.env.PATH,
        HOME: root,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
      },
    });
  };
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=b', '-c', 'user.email=b@example.com', 'commit', '-q', '-m', 'bench');
  return { dir, texts };
}

export default async function run(): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'sathos-posture-bench-'));
  try {
    const { dir, texts } = benchRepo(root);
    const policy = baselinePolicy();
    const posture = await measure(
      async () => {
        const source = await openGitSource(dir);
        const model = await collectPosture(source, { repository: 'bench/app' }).finally(() => {
          source.close();
        });
        const findings = postureFindings(model);
        return evaluatePosture(policy, { model, findings });
      },
      { minIterations: 5, minMillis: 2000 },
    );
    const yamlOnly = await measure(() => texts.map((t) => parseYaml(t) as unknown), {
      minIterations: 5,
    });
    const parserOnly = await measure(
      async () => {
        for (const content of texts) {
          const parsed = parseWorkflow({ name: 'w.yml', content }, new NoOperationTraceWriter());
          if (parsed.value !== undefined)
            await convertWorkflowTemplate(parsed.context, parsed.value);
        }
      },
      { minIterations: 5, minMillis: 2000 },
    );
    const ms = (m: { medianNs: number }): number => Math.round(m.medianNs / 1e4) / 100;
    return [
      {
        name: `posture: ${WORKFLOWS} workflows read at the commit, parsed, judged by the baseline`,
        value: ms(posture),
        unit: 'ms',
        yardstick: `YAML parse of the same files in memory, ${ms(yamlOnly)} ms`,
        ratio: ratio(posture, yamlOnly),
        target: `< ${TARGET_MS} ms`,
        pass: posture.medianNs / 1e6 < TARGET_MS,
      },
      {
        name: `posture: the same, against GitHub's workflow parser alone`,
        value: ms(posture),
        unit: 'ms',
        yardstick: `parseWorkflow + convertWorkflowTemplate in memory, ${ms(parserOnly)} ms`,
        ratio: ratio(posture, parserOnly),
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
