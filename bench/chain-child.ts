// One measurement in a fresh process, so its peak memory (maxRSS) is its own: verify a chain file
// `repeat` times, keeping every result (and re-evaluate a policy over each), or hash an artifact as
// `sathos verify-chain --artifact` does, or nothing (the idle yardstick: node, tsx and the modules
// loaded). Prints one JSON line; time is CPU time, so other load on the machine barely shows.
//   node --import tsx bench/chain-child.ts idle
//   node --import tsx bench/chain-child.ts verify <chain.jsonl> <key.pem> <stages,…> <repeat> [policy.yaml]
//   node --import tsx bench/chain-child.ts hash <file>
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  createBundleVerifier,
  digestsOfStream,
  evaluateChainPolicy,
  parseChainText,
  parsePolicy,
  parsePublicKeys,
  publicGoodTrust,
  verifyChain,
} from '@sathos/core';

export interface ChildResult {
  /** CPU milliseconds (user + system) of the work itself, module loading excluded. */
  readonly ms: number;
  /** Peak resident set size of the whole process, KiB. */
  readonly maxRssKiB: number;
  readonly records?: number;
  readonly allowed?: boolean;
}

type Outcome = Omit<ChildResult, 'ms' | 'maxRssKiB'>;

async function verifyAll(args: readonly string[]): Promise<Outcome> {
  const [chainPath = '', keyPath = '', stages = '', repeat = '1', policyPath] = args;
  const kept: Outcome[] = [];
  // Every run's chain and result stay alive, as one long chain's would.
  const alive: unknown[] = [];
  for (let i = 0; i < Number(repeat); i++)
    kept.push(await verify(chainPath, keyPath, stages, policyPath, alive));
  return {
    records: kept.reduce((t, k) => t + (k.records ?? 0), 0),
    allowed: kept.every((k) => k.allowed !== false),
  };
}

async function verify(
  chainPath: string,
  keyPath: string,
  stages: string,
  policyPath: string | undefined,
  alive: unknown[],
): Promise<Outcome> {
  const keys = parsePublicKeys(await readFile(keyPath, 'utf8'), keyPath);
  const text = await readFile(chainPath, 'utf8');
  const policy =
    policyPath === undefined
      ? undefined
      : parsePolicy(await readFile(policyPath, 'utf8'), policyPath);
  const lines = parseChainText(text, chainPath);
  const checker = createBundleVerifier(publicGoodTrust(), {
    keys,
    allowUnloggedKeySignatures: true,
  });
  const required = stages.split(',');
  const verification = verifyChain({
    lines,
    checker,
    requirements: {
      stages: required,
      identities: Object.fromEntries(
        required.map((s) => [s, keys.map((k) => ({ keyId: k.keyId }))]),
      ),
    },
    artifacts: [],
  });
  alive.push(text, lines, verification);
  if (policy === undefined) return { records: verification.records.length };
  const evaluation = evaluateChainPolicy(policy, verification, lines);
  alive.push(evaluation);
  return { records: verification.records.length, allowed: evaluation.allowed };
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  const start = process.cpuUsage();
  let extra: Outcome = {};
  if (mode === 'verify') extra = await verifyAll(args);
  else if (mode === 'hash') await digestsOfStream(createReadStream(args[0] ?? ''));
  else if (mode !== 'idle') throw new Error(`unknown mode ${String(mode)}`);
  const used = process.cpuUsage(start);
  const ms = (used.user + used.system) / 1000;
  const result: ChildResult = { ms, maxRssKiB: process.resourceUsage().maxRSS, ...extra };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
