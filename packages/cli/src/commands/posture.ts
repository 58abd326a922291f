// `sathos posture <repo-dir>`: the workflows at a commit (HEAD by default) judged by a policy's
// posture: section, or by the embedded baseline (docs/policies/posture-baseline.yaml) when no
// policy is given. Exit 0 allowed, 1 denied, 2 unusable input (a malformed workflow names file:line).
// `--lock` writes the lock of the action graph instead of deciding.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Decision, LockComparison, Policy, PostureFinding, PostureModel } from '@sathos/core';
import {
  DEFAULT_LOCK_FILE,
  PolicyInvalidError,
  SathosError,
  baselinePolicy,
  evaluatePosture,
  failureLines,
  lockDifferences,
  lockOf,
  postureFindings,
  postureSarif,
  serializeLock,
  workflowPostureStatement,
} from '@sathos/core';
import type { ActionResolver } from '@sathos/github/posture';
import {
  collectPosture,
  githubResolver,
  openGitSource,
  readPostureLock,
} from '@sathos/github/posture';
import type { Outcome } from '../outcome.js';
import { failure, success } from '../outcome.js';
import { invalidPolicyOutcome } from './policy-check.js';
import type { PolicyLoadContext } from './policy-load.js';
import { DEFAULT_GITHUB_API, loadPolicy } from './policy-load.js';

/** Where SARIF readers are sent for a rule's explanation (docs/posture.md in the repository). */
export const POSTURE_DOCS = 'https://sathos.dev/docs/posture';
const VERSION = '0.1.0';

export interface PostureOptions {
  readonly repoDir: string;
  readonly policy?: string;
  readonly policyDigest?: string;
  /** `true`: write the lock at the default path; a string: write it there. */
  readonly lock?: boolean | string;
  readonly sarif?: string;
  /** Write the workflow-posture in-toto statement here. */
  readonly evidence?: string;
  readonly commit?: string;
  /** `owner/repo`: its owner's actions are first-party. */
  readonly repository?: string;
  /** GitHub REST API root: resolves remote refs to commits (token: SATHOS_GITHUB_TOKEN or GITHUB_TOKEN). */
  readonly githubApi?: string;
}

/** GitHub's owner and repository names: no `..`, no path separators beyond the one. */
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.\.?$)[A-Za-z0-9_.-]{1,100}$/;

function resolverOf(o: PostureOptions, context: PolicyLoadContext): ActionResolver | undefined {
  const env = context.env ?? process.env;
  const apiUrl = o.githubApi ?? env.GITHUB_API_URL;
  if (apiUrl === undefined) return undefined;
  const token = env.SATHOS_GITHUB_TOKEN ?? env.GITHUB_TOKEN;
  return githubResolver({ apiUrl, token, fetch: context.fetch ?? fetch });
}

/** `file:line  job  rule  fix`, one finding a line, aligned. */
export function findingTable(findings: readonly PostureFinding[]): string[] {
  const rows = findings.map((f) => [
    `${f.file}:${f.line}`,
    f.job,
    `${f.rule} (${f.severity})`,
    f.fix,
  ]);
  const head = ['LOCATION', 'JOB', 'RULE', 'FIX'];
  const widths = [0, 1, 2].map((i) =>
    Math.max(head[i]?.length ?? 0, ...rows.map((r) => r[i]?.length ?? 0)),
  );
  const line = (r: readonly string[]): string =>
    r
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

async function writeOut(path: string, text: string, what: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (cause) {
    throw new SathosError(
      'FILE_UNREADABLE',
      `cannot write the ${what}; check the directory exists and is writable`,
      {
        where: path,
        cause,
      },
    );
  }
}

async function writeLock(o: PostureOptions, model: PostureModel): Promise<Outcome> {
  const lock = lockOf(model);
  const path = typeof o.lock === 'string' ? o.lock : join(o.repoDir, DEFAULT_LOCK_FILE);
  await writeOut(path, serializeLock(lock), 'action lock');
  const reason = `wrote ${path}: ${lock.actions.length} actions locked at ${model.commit ?? ''}`;
  return success('allowed', reason, { lock: { path, actions: lock.actions } });
}

function decisionOutcome(
  policy: Policy,
  decision: Decision,
  findings: readonly PostureFinding[],
  lock: LockComparison | undefined,
  commit: string,
): Outcome {
  const failed = failureLines(decision);
  const json = {
    commit,
    policy: decision.policy,
    findings,
    results: decision.results,
    ...(lock === undefined ? {} : { lock }),
  };
  const table = findings.length === 0 ? ['no findings'] : findingTable(findings);
  if (decision.allowed) {
    const reason = `workflows at ${commit} allowed by ${policy.uri}: ${findings.length} finding(s), none the policy denies`;
    return success('allowed', reason, json, [...table, reason]);
  }
  const reason = `workflows at ${commit} denied by ${policy.uri}: ${failed.join('; ')}`;
  return {
    exitCode: 1,
    json: { allowed: false, code: 'POLICY_DENIED', reason, ...json },
    lines: [
      ...table,
      ...(lock === undefined ? [] : lockDifferences(lock)),
      ...failed.map((l) => `denied: ${l}`),
    ],
  };
}

export async function postureCommand(
  o: PostureOptions,
  context: PolicyLoadContext = {},
): Promise<Outcome> {
  try {
    if (o.repository !== undefined && !REPOSITORY.test(o.repository))
      throw new SathosError('USAGE', `--repository must be owner/name, not "${o.repository}"`);
    const env = context.env ?? process.env;
    const repository = o.repository ?? env.GITHUB_REPOSITORY;
    const policy =
      o.policy === undefined
        ? baselinePolicy()
        : await loadPolicy(
            o.policy,
            {
              ...(o.policyDigest === undefined ? {} : { policyDigest: o.policyDigest }),
              githubApi: o.githubApi ?? env.GITHUB_API_URL ?? DEFAULT_GITHUB_API,
            },
            context,
          );
    if (policy.posture === undefined && o.lock === undefined)
      throw new SathosError(
        'USAGE',
        `${policy.uri} has no posture: section; add one (docs/posture.md) or omit --policy for the baseline`,
      );
    const source = await openGitSource(o.repoDir, o.commit ?? 'HEAD');
    try {
      const resolver = resolverOf(o, context);
      const model = await collectPosture(source, {
        ...(repository === undefined || !REPOSITORY.test(repository) ? {} : { repository }),
        ...(resolver === undefined ? {} : { resolver }),
      });
      if (o.lock !== undefined && o.lock !== false) return await writeLock(o, model);
      const lock = await readPostureLock(
        source,
        policy.posture?.lockFile ?? DEFAULT_LOCK_FILE,
        model,
      );
      const findings = postureFindings(model);
      const decision = evaluatePosture(policy, {
        model,
        findings,
        ...(lock === undefined ? {} : { lock }),
      });
      if (o.sarif !== undefined)
        await writeOut(
          o.sarif,
          `${JSON.stringify(postureSarif(findings, { version: VERSION, informationUri: POSTURE_DOCS }), null, 2)}\n`,
          'SARIF file',
        );
      if (o.evidence !== undefined) {
        const statement = workflowPostureStatement({
          model,
          findings,
          ...(lock === undefined ? {} : { lock }),
          decision,
          verifier: `sathos posture ${VERSION}`,
        });
        await writeOut(o.evidence, `${JSON.stringify(statement)}\n`, 'evidence file');
      }
      return decisionOutcome(policy, decision, findings, lock, source.commit);
    } finally {
      source.close();
    }
  } catch (error) {
    if (error instanceof PolicyInvalidError) return invalidPolicyOutcome(error);
    return failure('allowed', error);
  }
}
