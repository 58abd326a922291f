// One attest measurement in a fresh process, so its peak memory (maxRSS) is its own. Prints one
// JSON line.
//   node --import tsx bench/attest-child.ts hash <file>…
//     hashes the files as `sathos attest --subject-path` does; wall ms of the hashing alone
//   node --import tsx bench/attest-child.ts attest <workspace> <glob> <chain.jsonl> <key.pem> <policy.yaml>
//     resolves, hashes and records a build step over a chain holding its source record; wall ms
//     of the whole step, module loading excluded
import { readFile } from 'node:fs/promises';
import type { StepPorts } from '@sathos/core';
import {
  attestStep,
  createBundleVerifier,
  decodeRecords,
  keySigner,
  parsePolicy,
  parsePublicKeys,
  publicGoodTrust,
  signStatement,
} from '@sathos/core';
import { JsonlFileStore, collectSubjects, hashFiles, resolveSubjectPaths } from '@sathos/node';
import { createPublicKey } from 'node:crypto';
import { dirname, relative } from 'node:path';

export interface AttestChildResult {
  /** Wall milliseconds of the work itself. */
  readonly ms: number;
  /** Peak resident set size of the whole process, KiB. */
  readonly maxRssKiB: number;
  readonly subjects?: number;
  readonly records?: number;
}

type Outcome = Omit<AttestChildResult, 'ms' | 'maxRssKiB'>;

async function hash(files: readonly string[]): Promise<Outcome> {
  const root = dirname(files[0] ?? '.');
  const resolved = await resolveSubjectPaths(
    files.map((f) => relative(root, f)),
    root,
  );
  return { subjects: (await hashFiles(resolved)).length };
}

async function attest(args: readonly string[]): Promise<Outcome> {
  const [workspace = '', glob = '', chain = '', keyPath = '', policyPath = ''] = args;
  const pem = await readFile(keyPath, 'utf8');
  const signer = keySigner({ privateKeyPem: pem });
  const publicPem = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
  const policy = parsePolicy(await readFile(policyPath, 'utf8'), policyPath);
  const store = new JsonlFileStore(chain);
  const [genesis] = decodeRecords(await store.read(), chain);
  if (genesis === undefined) throw new Error('the chain has no source record');
  const ports: StepPorts = {
    store,
    signer: { sign: (s) => signStatement(s, signer), actor: { kind: 'key', keyId: signer.keyId } },
    trust: {
      checker: createBundleVerifier(publicGoodTrust(), {
        keys: parsePublicKeys(publicPem, keyPath),
        allowUnloggedKeySignatures: true,
      }),
    },
  };
  const subjects = await collectSubjects({ paths: [glob] }, { workspace });
  const result = await attestStep(
    { stage: 'build', subjects, run: genesis.statement.predicate.run, policy },
    ports,
  );
  return { subjects: result.subjects, records: result.records.length };
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  const start = performance.now();
  let extra: Outcome;
  if (mode === 'hash') extra = await hash(args);
  else if (mode === 'attest') extra = await attest(args);
  else throw new Error(`unknown mode ${String(mode)}`);
  const ms = performance.now() - start;
  const result: AttestChildResult = { ms, maxRssKiB: process.resourceUsage().maxRSS, ...extra };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
