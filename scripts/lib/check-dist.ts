// Compares freshly generated files with the committed ones, so a stale bundle or action.yml can
// never reach a release unnoticed.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GeneratedFile } from './generate.js';

/** Why a committed file does not match what the build would produce. */
export type DistProblem = 'missing' | 'stale' | 'not executable';

export interface DistFinding {
  path: string;
  problem: DistProblem;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

async function findingFor(root: string, file: GeneratedFile): Promise<DistFinding | undefined> {
  const path = join(root, file.path);
  let committed: Uint8Array;
  try {
    committed = await readFile(path);
  } catch {
    return { path: file.path, problem: 'missing' };
  }
  if (!sameBytes(committed, file.contents)) return { path: file.path, problem: 'stale' };
  if (file.executable && ((await stat(path)).mode & 0o111) === 0) {
    return { path: file.path, problem: 'not executable' };
  }
  return undefined;
}

/** Every generated file whose committed copy is missing, different or lacks its executable bit. */
export async function compareWithDisk(
  root: string,
  files: readonly GeneratedFile[],
): Promise<DistFinding[]> {
  const findings: DistFinding[] = [];
  for (const file of files) {
    const finding = await findingFor(root, file);
    if (finding !== undefined) findings.push(finding);
  }
  return findings;
}

/** The lines check-dist prints for its findings (empty when everything is fresh). */
export function describeFindings(findings: readonly DistFinding[]): string[] {
  if (findings.length === 0) return [];
  return [
    ...findings.map(({ path, problem }) => `check-dist: ${path} is ${problem}`),
    'check-dist: run `npm run build` and commit the result',
  ];
}
