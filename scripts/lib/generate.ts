// Produces every generated file in memory: `npm run build` writes them, check-dist compares them.
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { LogLevel } from 'esbuild';
import { resolveConfig } from 'prettier';
import { parseActionSource, parseTemplate } from './action-source.js';
import { renderActionYml } from './action-yml.js';
import { bundle } from './bundle.js';
import { reportLines } from './bundle-report.js';
import { actionTargets, bundleTargets, TEMPLATE_FILE, type Log } from './targets.js';

/** A file the build owns: its path relative to the root, its exact bytes, its mode. */
export interface GeneratedFile {
  path: string;
  contents: Uint8Array;
  executable: boolean;
}

/** Every esbuild bundle; `report`, when given, receives each bundle's size table (bundle-report). */
export async function generateBundles(
  root: string,
  log: Log,
  logLevel: LogLevel = 'warning',
  report?: (lines: string[]) => void,
): Promise<GeneratedFile[]> {
  const files: GeneratedFile[] = [];
  for (const target of await bundleTargets(root, log)) {
    const bundled = await bundle(root, target, logLevel);
    const size = bundled.files.reduce((sum, file) => sum + file.contents.byteLength, 0);
    // A split bundle is reported as its file and every chunk it can load.
    const label =
      bundled.files.length > 1
        ? `${target.outfile} and its ${bundled.files.length - 1} chunks (${basename(target.outfile)} alone ${kB(bundled.files[0].contents.byteLength)})`
        : target.outfile;
    report?.(reportLines(label, size, bundled.metafile));
    for (const file of bundled.files) files.push({ ...file, executable: target.executable });
  }
  return files;
}

const kB = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`;

/** The directories whose every file the build owns: each split bundle's (an action's dist/). */
export async function ownedDirectories(root: string, log: Log): Promise<string[]> {
  return (await bundleTargets(root, log))
    .filter((target) => target.split)
    .map((target) => dirname(target.outfile));
}

/** Files in the owned directories that the build did not generate (a chunk from an older build). */
export async function strayFiles(
  root: string,
  directories: readonly string[],
  files: readonly GeneratedFile[],
): Promise<string[]> {
  const generated = new Set(files.map((file) => file.path));
  const stray: string[] = [];
  for (const directory of directories) {
    let entries;
    try {
      entries = await readdir(join(root, directory), { withFileTypes: true, recursive: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) continue;
      const path = relative(root, join(entry.parentPath, entry.name)).split(sep).join('/');
      if (!generated.has(path)) stray.push(path);
    }
  }
  return stray.sort();
}

/** Every action.yml, from action-template.yml and each action.src.yml. */
export async function generateActionYmls(root: string): Promise<GeneratedFile[]> {
  const targets = await actionTargets(root);
  if (targets.length === 0) return [];
  const templatePath = join(root, TEMPLATE_FILE);
  const template = parseTemplate(await readFile(templatePath, 'utf8'), TEMPLATE_FILE);
  const formatOptions = (await resolveConfig(templatePath, { editorconfig: false })) ?? {};
  const files: GeneratedFile[] = [];
  for (const target of targets) {
    const source = parseActionSource(
      await readFile(join(root, target.source), 'utf8'),
      target.source,
    );
    const text = await renderActionYml(template, source, target.source, formatOptions);
    files.push({
      path: target.outfile,
      contents: new TextEncoder().encode(text),
      executable: false,
    });
  }
  return files;
}

/** Writes generated files under `root`, creating directories and setting the executable bit. */
export async function writeGenerated(root: string, files: readonly GeneratedFile[]): Promise<void> {
  for (const file of files) {
    const path = join(root, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.contents);
    await chmod(path, file.executable ? 0o755 : 0o644);
  }
}

/** Removes files the build no longer generates from the directories it owns (old chunks). */
export async function removeStray(root: string, stray: readonly string[]): Promise<void> {
  for (const path of stray) await rm(join(root, path), { force: true });
}
