// Progress in a log: one line per interval whatever the number of updates, and the last state once
// at the end, so a 100,000-file step writes a few lines, not 100,000.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logProgress, progressLine } from './progress.js';

void describe('logProgress', () => {
  void it('writes at most one line per interval, and the final state on stop', () => {
    const lines: string[] = [];
    let now = 0;
    const progress = logProgress(
      (line) => lines.push(line),
      () => now,
      5000,
    );
    const step = (files: number) => ({
      files,
      totalFiles: 1000,
      bytes: files * 1024 * 1024,
      totalBytes: 1000 * 1024 * 1024,
    });
    for (let files = 1; files <= 1000; files++) {
      now += 12; // 1,000 updates over 12 s
      progress.update(step(files));
    }
    progress.stop();
    assert.equal(lines.length, 3, lines.join(''));
    assert.equal(lines.at(-1), `${progressLine(step(1000))}\n`);
    assert.equal(progressLine(step(250)), 'hashing: 250/1000 files, 250.0 MiB of 1000.0 MiB (25%)');
  });

  void it('writes nothing when nothing was hashed', () => {
    const lines: string[] = [];
    logProgress((line) => lines.push(line)).stop();
    assert.deepEqual(lines, []);
  });
});
