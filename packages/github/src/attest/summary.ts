// The job summary of an attest step: what it attested (the subjects) and the chain so far, record
// by record, so a reviewer sees on the run's page what the next job will be handed.
import type { Subject, decodeRecords } from '@sathos/core';
import type { JobSummary } from '../io.js';

/** A transition record as read from the chain. */
type PlannedRecord = ReturnType<typeof decodeRecords>[number];

/** A summary stays readable (and under the runner's 1 MiB summary limit) with 100k subjects. */
export const SUMMARY_MAX_ROWS = 50;

function digestOf(subject: Subject): string {
  const [algorithm, hex] = Object.entries(subject.digest)[0] ?? ['?', '?'];
  return `${algorithm}:${hex}`;
}

function signerOf(record: PlannedRecord): string {
  const actor = record.statement.predicate.actor;
  return actor.kind === 'key' ? actor.keyId : actor.subject;
}

export interface AttestSummaryInput {
  readonly stage: string;
  readonly subjects: readonly Subject[];
  /** Every transition record of the chain after this step. */
  readonly chain: readonly PlannedRecord[];
  readonly chainPath: string;
  readonly lines: readonly string[];
}

/** Two summaries: the subjects attested, then the chain so far. */
export function attestSummaries(input: AttestSummaryInput): JobSummary[] {
  const shown = input.subjects.slice(0, SUMMARY_MAX_ROWS);
  const more = input.subjects.length - shown.length;
  const subjects: JobSummary = {
    heading: `SATHOS ${input.stage}: ${input.subjects.length} subject(s) attested`,
    lines: [...input.lines, ...(more > 0 ? [`…and ${more} more subject(s) not listed here.`] : [])],
    table: {
      header: ['subject', 'digest'],
      rows: shown.map((s) => [s.name, digestOf(s)]),
    },
  };
  const chain: JobSummary = {
    heading: `Chain of custody so far (${input.chainPath})`,
    lines: [`${input.chain.length} record(s); pass this file to the next job as an artifact.`],
    table: {
      header: ['#', 'stage', 'decision', 'record', 'signed by'],
      rows: input.chain.map((r) => [
        String(r.statement.predicate.sequence),
        r.statement.predicate.stage,
        r.statement.predicate.policy?.decision ?? 'no policy',
        `sha256:${r.digest}`,
        signerOf(r),
      ]),
    },
  };
  return [subjects, chain];
}
