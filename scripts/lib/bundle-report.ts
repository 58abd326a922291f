// What weighs what in a bundle: esbuild's metafile, summed per package (or workspace folder), so a
// reviewer sees at a glance which dependency to question when a bundle grows.
import type { Metafile } from 'esbuild';

/** One contributor to a bundle: a package or workspace package, and its bytes in the output. */
export interface Contributor {
  name: string;
  bytes: number;
}

/** `node_modules/@scope/name/...` → `@scope/name`; `packages/core/src/...` → `packages/core`. */
export function contributorOf(inputPath: string): string {
  const at = inputPath.lastIndexOf('node_modules/');
  if (at >= 0) {
    const [first = '', second = ''] = inputPath.slice(at + 'node_modules/'.length).split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  const workspace = /^((?:packages|actions)\/[^/]+)\//.exec(inputPath);
  if (workspace?.[1] !== undefined) return workspace[1];
  // Plugin namespaces (`sathos-stubbed:undici`) and anything else keep their own name.
  return inputPath;
}

/** Every contributor to the metafile's outputs, heaviest first (ties by name, so stable). */
export function contributors(metafile: Metafile): Contributor[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = contributorOf(path);
      totals.set(name, (totals.get(name) ?? 0) + input.bytesInOutput);
    }
  }
  return [...totals]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}

const kB = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;

/** A Markdown table: the bundle's size, then its `top` heaviest contributors and the rest. */
export function reportLines(outfile: string, size: number, metafile: Metafile, top = 8): string[] {
  const all = contributors(metafile);
  const shown = all.slice(0, top);
  const rest = all.slice(top).reduce((sum, entry) => sum + entry.bytes, 0);
  return [
    `${outfile}: ${kB(size)}`,
    '| contributor | size | share |',
    '| --- | ---: | ---: |',
    ...shown.map(
      (entry) =>
        `| ${entry.name} | ${kB(entry.bytes)} | ${((100 * entry.bytes) / size).toFixed(1)}% |`,
    ),
    `| ${all.length - shown.length} others | ${kB(rest)} | ${((100 * rest) / size).toFixed(1)}% |`,
  ];
}
