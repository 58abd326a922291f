// The evidence `sathos attest` signs beside its records, read once from the files named and built
// per part of the subjects: JUnit → test-result, SARIF → vulns, an SBOM → its in-toto type, a
// predicate file as given, and for a build on this machine a local SLSA provenance that says no
// platform vouches for it. A report that cannot be read is REPORT_INVALID naming the file (exit 2).
import { hostname } from 'node:os';
import type { ResourceDescriptor, RunBinding, Statement } from '@sathos/core';
import { REPORT_LIMITS, STATEMENT_TYPE, SathosError, localProvenance } from '@sathos/core';
import { readBoundedFile, readReportEvidence } from '@sathos/node';

export interface EvidenceFlags {
  readonly junit?: readonly string[];
  readonly sarif?: readonly string[];
  readonly sbom?: string;
  readonly predicate?: string;
  readonly predicateType?: string;
}

type PartEvidence = (subjects: readonly ResourceDescriptor[]) => Statement[];

async function report(path: string, maxBytes: number) {
  const bytes = await readBoundedFile(path, {
    what: 'report',
    maxBytes,
    tooLarge: 'REPORT_INVALID',
  });
  return { name: path, bytes };
}

async function predicateOf(o: EvidenceFlags): Promise<PartEvidence | undefined> {
  if (o.predicate === undefined && o.predicateType === undefined) return undefined;
  if (o.predicate === undefined || o.predicateType === undefined) {
    throw new SathosError('USAGE', '--predicate <file> and --predicate-type <uri> go together');
  }
  if (!URL.canParse(o.predicateType)) {
    throw new SathosError('USAGE', `--predicate-type ${o.predicateType} is not a URI`);
  }
  const { bytes } = await report(o.predicate, REPORT_LIMITS.maxSbomBytes);
  let predicate: unknown;
  try {
    predicate = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new SathosError('REPORT_INVALID', 'the predicate file is not JSON', {
      where: o.predicate,
      cause,
    });
  }
  if (typeof predicate !== 'object' || predicate === null || Array.isArray(predicate)) {
    throw new SathosError('REPORT_INVALID', 'a predicate is a JSON object', { where: o.predicate });
  }
  const type = o.predicateType;
  return (subject) => [{ _type: STATEMENT_TYPE, subject, predicateType: type, predicate }];
}

/** The source a run builds, as a URI: GitHub's for owner/name, the repository itself when a URI. */
function sourceUri(repository: string): string {
  if (/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
    return `git+https://github.com/${repository}`;
  }
  return URL.canParse(repository)
    ? repository
    : `urn:sathos:repository:${encodeURIComponent(repository)}`;
}

/** Reads and parses every report once; returns the function building one part's evidence. */
export async function evidenceFromFlags(
  o: EvidenceFlags,
  stage: string,
  run: RunBinding,
  started: Date,
): Promise<(subjects: readonly ResourceDescriptor[]) => Statement[]> {
  const reports = await readReportEvidence(
    {
      ...(o.junit === undefined ? {} : { junit: o.junit }),
      ...(o.sarif === undefined ? {} : { sarif: o.sarif }),
      ...(o.sbom === undefined ? {} : { sbom: o.sbom }),
    },
    { scannedOn: started },
  );
  const builders: PartEvidence[] = [reports];
  const predicate = await predicateOf(o);
  if (predicate !== undefined) builders.push(predicate);
  if (stage === 'build') {
    // Outside a build platform nothing vouches for the build: the local build type says so.
    const build = {
      builderId: `https://sathos.dev/cli/local#${encodeURIComponent(hostname())}`,
      source: { uri: sourceUri(run.repository), commit: run.commit },
      startedOn: started,
    };
    builders.push((s) => [localProvenance(s, build)]);
  }
  return (subjects) => builders.flatMap((build) => build(subjects));
}
