// Step 9 of chain verification: what a person reads, and a verification summary (SLSA VSA v1
// statement, unsigned here; the gate signs its own) listing every record that was used.
import type { ChainVerification, Digest, Policy, Statement } from '@sathos/core';
import { describeSigner, verificationSummary } from '@sathos/core';

export const VERIFIER_ID = 'https://sathos.dev/verifier/sathos-cli@0.1.0';

/**
 * The digests a VSA subject names an artifact by: its SHA-256 when known, else the other strong
 * digests given (`--digest sha512:…`), SHA-1 only when it was all the caller named — never empty.
 */
function vsaDigest(digests: readonly Digest[]): Record<string, string> {
  const sha256 = digests.filter((d) => d.algorithm === 'sha256');
  const strong = digests.filter((d) => d.algorithm !== 'sha1');
  const chosen = sha256.length > 0 ? sha256 : strong.length > 0 ? strong : digests;
  return Object.fromEntries(chosen.map((d) => [d.algorithm, d.hex]));
}

/**
 * The unsigned VSA over the artifacts, listing every record the verification used. Its subjects
 * are exactly the artifacts verifyChain bound (each named by a verified record's subject).
 */
export function chainVsa(
  result: ChainVerification,
  policy: Policy | undefined,
  now: Date,
): Statement {
  const subjects = result.artifacts.map((a) => ({ name: a.name, digest: vsaDigest(a.digests) }));
  return verificationSummary(subjects, {
    verifierId: VERIFIER_ID,
    time: now,
    resourceUri: `git+${result.run.repository}@${result.run.commit}`,
    policy:
      policy === undefined
        ? { uri: 'sathos:flags' }
        : { uri: policy.uri, digest: { sha256: policy.digest } },
    inputs: result.records.map((r) => ({ uri: r.where, digest: { sha256: r.digest } })),
    passed: true,
    levels: [result.complete ? 'SATHOS_CHAIN_COMPLETE' : 'SATHOS_CHAIN_PARTIAL'],
  });
}

/** The `--json` details of a verified chain. */
export function chainSummary(
  result: ChainVerification,
  policy: Policy | undefined,
  now: Date,
): Record<string, unknown> {
  return {
    complete: result.complete,
    run: result.run,
    genesis: result.genesis.digest,
    head: result.head.digest,
    records: result.records.map((r) => ({
      digest: r.digest,
      stage: r.stage,
      sequence: r.sequence,
      signer: describeSigner(r.signer),
      subjects: r.statement.subject.map((s) => s.name ?? JSON.stringify(s.digest)),
      evidence: r.evidence.map((e) => e.predicateType),
      location: r.where,
    })),
    summary: chainVsa(result, policy, now),
  };
}

/** The chain of custody as a person reads it, one line a record. */
export function summaryLines(result: ChainVerification): string[] {
  const lines = [
    `run ${result.run.repository} #${result.run.runId}.${result.run.runAttempt} at ${result.run.commit}`,
  ];
  for (const r of result.records) {
    const subjects = r.statement.subject
      .map((s) => s.name ?? Object.values(s.digest ?? {})[0]?.slice(0, 12))
      .join(', ');
    const evidence =
      r.evidence.length === 0
        ? ''
        : ` + ${r.evidence.map((e) => e.predicateType.split('/').slice(-2).join('/')).join(', ')}`;
    lines.push(
      `  ${String(r.sequence).padStart(3)}  ${r.stage.padEnd(9)} ${r.digest.slice(0, 16)}…  ${subjects}${evidence}  signed by ${describeSigner(r.signer)}`,
    );
  }
  return lines;
}
