// SBOMs → their in-toto predicate types, as GitHub's actions/attest does with `sbom-path`: an SPDX
// 2.x JSON document becomes `https://spdx.dev/Document/v2.<minor>` (spec/predicates/spdx2.md), a
// CycloneDX JSON BOM `https://cyclonedx.org/bom`; the document itself is the predicate, untouched.
// The kind is read from the document, never from the file name, and anything else is refused.
import type { ResourceDescriptor, Statement } from '../../record/statement.js';
import { STATEMENT_TYPE } from '../../record/statement.js';
import type { Json, Report, ReportLimits } from './report.js';
import { clip, isObject, parseJsonReport, REPORT_LIMITS, reportError } from './report.js';

export const SPDX_DOCUMENT = 'https://spdx.dev/Document';
export const CYCLONEDX_BOM = 'https://cyclonedx.org/bom';

export interface Sbom {
  readonly format: 'spdx' | 'cyclonedx';
  /** The in-toto predicate type the document is attested under. */
  readonly predicateType: string;
  /** `SPDX-2.3`, `1.6`: the version the document declares. */
  readonly specVersion: string;
  readonly document: Json;
}

function spdx(document: Json, report: Report): Sbom | undefined {
  const version = document.spdxVersion;
  if (typeof version !== 'string') return undefined;
  const match = /^SPDX-2\.(\d{1,2})$/.exec(version);
  if (match === null) {
    throw reportError(
      report,
      `the SPDX document declares "${clip(version)}": only SPDX 2.x JSON (SPDX-2.2, SPDX-2.3) is read`,
    );
  }
  if (document.SPDXID !== 'SPDXRef-DOCUMENT') {
    throw reportError(
      report,
      'the SPDX document has no SPDXID "SPDXRef-DOCUMENT": not an SPDX 2.x document',
    );
  }
  return {
    format: 'spdx',
    predicateType: `${SPDX_DOCUMENT}/v2.${match[1]}`,
    specVersion: version,
    document,
  };
}

function cyclonedx(document: Json, report: Report): Sbom | undefined {
  if (document.bomFormat === undefined) return undefined;
  if (document.bomFormat !== 'CycloneDX') {
    throw reportError(report, 'the BOM\'s bomFormat is not "CycloneDX"');
  }
  const version = document.specVersion;
  if (typeof version !== 'string' || !/^1\.\d{1,2}$/.test(version)) {
    throw reportError(
      report,
      'the CycloneDX BOM declares no specVersion 1.x: only CycloneDX JSON 1.x is read',
    );
  }
  return { format: 'cyclonedx', predicateType: CYCLONEDX_BOM, specVersion: version, document };
}

/** Reads an SPDX 2.x or CycloneDX JSON SBOM; anything else throws REPORT_INVALID naming the file. */
export function parseSbom(report: Report, limits: ReportLimits = REPORT_LIMITS): Sbom {
  const document = parseJsonReport(
    report,
    limits.maxSbomBytes,
    'SBOM',
    limits,
    limits.maxSbomValues,
  );
  if (!isObject(document)) throw reportError(report, 'the SBOM is not a JSON object');
  const found = spdx(document, report) ?? cyclonedx(document, report);
  if (found !== undefined) return found;
  const spdx3 = document['@context'] !== undefined;
  throw reportError(
    report,
    spdx3
      ? 'the SBOM is JSON-LD (SPDX 3?): only SPDX 2.x and CycloneDX JSON are read'
      : 'the file is neither an SPDX 2.x (spdxVersion, SPDXID) nor a CycloneDX (bomFormat, specVersion) JSON SBOM',
  );
}

export function sbomStatementOf(subjects: readonly ResourceDescriptor[], sbom: Sbom): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: subjects,
    predicateType: sbom.predicateType,
    predicate: sbom.document,
  };
}

/** An SBOM file → one statement about `subjects`, under the predicate type of its format. */
export function sbomStatement(subjects: readonly ResourceDescriptor[], report: Report): Statement {
  return sbomStatementOf(subjects, parseSbom(report));
}
