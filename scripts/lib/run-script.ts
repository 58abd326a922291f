// The edge every script shares: find the repository root, run, turn any failure into one line on
// stderr and a non-zero exit code.
import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in scripts/lib/). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `main` and exits 1 with its message if it throws, whatever it throws. */
export function runScript(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`${name}: ${message}`);
      process.exitCode = 1;
    },
  );
}
