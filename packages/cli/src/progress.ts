// Progress of long hashing on stderr: a bar (cli-progress) on a terminal, and in a log (CI, a
// pipe) one plain line every few seconds — a bar's carriage returns would fill a log with noise.
import { SingleBar } from 'cli-progress';
import type { HashProgress } from '@sathos/node';

export interface ProgressReporter {
  readonly update: (progress: HashProgress) => void;
  readonly stop: () => void;
}

const MIB = 1024 * 1024;
const LOG_INTERVAL_MS = 5000;

const size = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;

/** One log line: files and bytes done of the totals. */
export function progressLine(p: HashProgress): string {
  const percent = p.totalBytes === 0 ? 100 : Math.floor((p.bytes / p.totalBytes) * 100);
  return `hashing: ${p.files}/${p.totalFiles} files, ${size(p.bytes)} of ${size(p.totalBytes)} (${percent}%)`;
}

/** Plain lines at most every `intervalMs`, and one at the end. */
export function logProgress(
  write: (line: string) => void,
  now: () => number = Date.now,
  intervalMs = LOG_INTERVAL_MS,
): ProgressReporter {
  let last = now();
  let latest: HashProgress | undefined;
  return {
    update: (p) => {
      latest = p;
      if (now() - last < intervalMs) return;
      last = now();
      write(`${progressLine(p)}\n`);
    },
    stop: () => {
      if (latest !== undefined) write(`${progressLine(latest)}\n`);
    },
  };
}

/** A bar on a terminal, lines otherwise. */
export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (!stream.isTTY) return logProgress((line) => stream.write(line));
  const bar = new SingleBar({
    stream,
    format: 'hashing [{bar}] {percentage}% | {files}/{totalFiles} files | {done}/{all} MiB',
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  return {
    update: (p) => {
      const payload = {
        files: p.files,
        totalFiles: p.totalFiles,
        done: (p.bytes / MIB).toFixed(1),
        all: (p.totalBytes / MIB).toFixed(1),
      };
      if (!started) {
        bar.start(Math.max(1, p.totalBytes), p.bytes, payload);
        started = true;
      } else bar.update(p.bytes, payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
