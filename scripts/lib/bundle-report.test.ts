import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Metafile } from 'esbuild';
import { contributorOf, contributors, reportLines } from './bundle-report.js';

function metafile(inputs: Record<string, number>): Metafile {
  const entries = Object.fromEntries(
    Object.entries(inputs).map(([path, bytesInOutput]) => [path, { bytesInOutput }]),
  );
  return {
    inputs: {},
    outputs: { 'out.js': { bytes: 0, inputs: entries, imports: [], exports: [] } },
  };
}

void describe('bundle report', () => {
  void it('names a contributor by package, scoped package, or workspace package', () => {
    assert.equal(contributorOf('node_modules/yaml/dist/index.js'), 'yaml');
    assert.equal(contributorOf('node_modules/@sigstore/core/dist/x.js'), '@sigstore/core');
    // A nested copy counts for the innermost package, the one whose code it is.
    assert.equal(contributorOf('node_modules/a/node_modules/@s/b/i.js'), '@s/b');
    assert.equal(contributorOf('packages/core/src/index.ts'), 'packages/core');
    assert.equal(contributorOf('actions/guard/src/main.ts'), 'actions/guard');
    assert.equal(contributorOf('sathos-stubbed:undici'), 'sathos-stubbed:undici');
  });

  void it('sums per contributor, heaviest first, ties by name', () => {
    const meta = metafile({
      'node_modules/yaml/a.js': 10,
      'node_modules/yaml/b.js': 30,
      'packages/core/src/x.ts': 40,
      'node_modules/zod/i.js': 5,
      'node_modules/abc/i.js': 5,
    });
    assert.deepEqual(contributors(meta), [
      { name: 'packages/core', bytes: 40 },
      { name: 'yaml', bytes: 40 },
      { name: 'abc', bytes: 5 },
      { name: 'zod', bytes: 5 },
    ]);
  });

  void it('reports the top contributors and what the rest weigh together', () => {
    const meta = metafile({ 'node_modules/a/i.js': 600, 'node_modules/b/i.js': 300, 'x.js': 100 });
    assert.deepEqual(reportLines('dist/index.js', 1000, meta, 2), [
      'dist/index.js: 1.0 kB',
      '| contributor | size | share |',
      '| --- | ---: | ---: |',
      '| a | 0.6 kB | 60.0% |',
      '| b | 0.3 kB | 30.0% |',
      '| 1 others | 0.1 kB | 10.0% |',
    ]);
  });
});
