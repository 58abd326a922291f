// Reports in the ecosystem's own formats (JUnit XML, SARIF 2.1.0, SPDX and CycloneDX JSON) read
// into the in-toto predicates GitHub's and in-toto's tools accept. Pure: bytes in, statement out.
export { JUNIT_MEDIA_TYPE, parseJUnit, testResultFromJUnit, testResultStatement } from './junit.js';
export type { JUnitRun, TestResultOptions } from './junit.js';
export { REPORT_LIMITS } from './report.js';
export type { Report, ReportLimits } from './report.js';
export { parseSarif, SARIF_MEDIA_TYPE, vulnsFromSarif, vulnsStatement } from './sarif.js';
export type { SarifScan, ScannerInfo, VulnsOptions } from './sarif.js';
export type { SarifFinding } from './sarif-result.js';
export { CYCLONEDX_BOM, parseSbom, sbomStatement, sbomStatementOf, SPDX_DOCUMENT } from './sbom.js';
export type { Sbom } from './sbom.js';
export { SEVERITIES, severityOfEntries, severityOfScore, severityOfText } from './severity.js';
export type { Severity } from './severity.js';
export { evidenceCounts } from './counts.js';
export type { EvidenceCounts, FindingCounts, TestCounts } from './counts.js';
