// sathos's stdout and stderr: a reader that closes its end of the pipe early (`sathos … | head -1`)
// is not a rejection — what was left to print is dropped and the verdict's exit code stands. Any other
// write failure (a full disk, an I/O error) means the answer was not delivered: exit 1 unless the
// verdict already failed, with one line on stderr when stderr still works.

export type StreamName = 'stdout' | 'stderr';

/** The part of a Node writable stream used here (process.stdout / process.stderr). */
export interface OutputStream {
  write(text: string): boolean;
  on(event: 'error', listener: (error: Error & { code?: unknown }) => void): unknown;
}

export class OutputStreams {
  private readonly closed = new Set<StreamName>();
  private failure: string | undefined;
  private verdict: number | undefined;

  /** `setExit` is told the exit code whenever it changes after `settle`. */
  constructor(
    private readonly streams: Readonly<Record<StreamName, OutputStream>>,
    private readonly setExit: (code: number) => void,
  ) {
    for (const name of ['stdout', 'stderr'] as const) {
      streams[name].on('error', (error) => {
        this.failed(name, error);
      });
    }
  }

  write(name: StreamName, text: string): void {
    if (this.closed.has(name)) return;
    try {
      this.streams[name].write(text);
    } catch (error) {
      this.failed(name, error as Error & { code?: unknown });
    }
  }

  /** The exit code for the command's `verdict`, given what writing its output met so far. */
  settle(verdict: number): number {
    this.verdict = verdict;
    return this.exitCode();
  }

  private exitCode(): number {
    const verdict = this.verdict ?? 0;
    return this.failure !== undefined && verdict === 0 ? 1 : verdict;
  }

  // EPIPE: the reader is gone — stop writing there, and nothing else changes.
  private failed(name: StreamName, error: Error & { code?: unknown }): void {
    if (this.closed.has(name)) return;
    this.closed.add(name);
    if (error.code === 'EPIPE') return;
    const why = typeof error.code === 'string' ? error.code : error.message;
    this.failure ??= `error: could not write to ${name} (${why}); the answer was not delivered`;
    if (name === 'stdout') this.write('stderr', `${this.failure}\n`);
    if (this.verdict !== undefined) this.setExit(this.exitCode());
  }
}
