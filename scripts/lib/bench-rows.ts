// Checks what a bench file returned and lays the rows out as one aligned table.
import type { BenchRow } from '../../bench/lib.js';

/** A row with the bench file it came from. */
export interface SourcedRow extends BenchRow {
  file: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rowProblems(row: unknown): string[] {
  if (!isRecord(row)) return ['is not an object'];
  const problems: string[] = [];
  for (const key of ['name', 'unit', 'yardstick'] as const) {
    if (typeof row[key] !== 'string') problems.push(`${key} is not a string`);
  }
  for (const key of ['value', 'ratio'] as const) {
    if (typeof row[key] !== 'number' || Number.isNaN(row[key]))
      problems.push(`${key} is not a number`);
  }
  if (row['target'] !== undefined && typeof row['target'] !== 'string') {
    problems.push('target is not a string');
  }
  if (row['pass'] !== undefined && typeof row['pass'] !== 'boolean') {
    problems.push('pass is not a boolean');
  }
  return problems;
}

/** The rows a bench file's run() resolved to, or an error naming the file and each bad field. */
export function checkRows(value: unknown, file: string): SourcedRow[] {
  if (!Array.isArray(value)) throw new Error(`${file}: run() must resolve to an array of BenchRow`);
  const problems = value.flatMap((row: unknown, index) =>
    rowProblems(row).map((problem) => `row ${index} ${problem}`),
  );
  if (problems.length > 0) throw new Error(`${file}: ${problems.join('; ')}`);
  return (value as BenchRow[]).map((row) => ({ ...row, file }));
}

/** Three significant digits, without exponent notation for everyday magnitudes. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toString();
  return Number(value.toPrecision(3)).toString();
}

function cells(row: BenchRow): string[] {
  const pass = row.pass === undefined ? '' : row.pass ? 'yes' : 'NO';
  return [
    row.name,
    `${formatNumber(row.value)} ${row.unit}`,
    row.yardstick,
    `${formatNumber(row.ratio)}x`,
    row.target ?? '',
    pass,
  ];
}

const HEADER = ['benchmark', 'value', 'yardstick', 'ratio', 'target', 'pass'];
const RIGHT_ALIGNED = new Set([1, 3]);

/** The table `npm run bench` prints: a header, a rule, one line per row, columns aligned. */
export function formatTable(rows: readonly BenchRow[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, column) =>
    Math.max(...table.map((line) => (line[column] ?? '').length)),
  );
  const render = (line: string[]) =>
    line
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return RIGHT_ALIGNED.has(column) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [render(HEADER), rule, ...table.slice(1).map(render)].join('\n');
}
