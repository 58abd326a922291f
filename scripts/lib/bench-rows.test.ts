import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRows, formatNumber, formatTable } from './bench-rows.js';

const ROW = { name: 'verify', value: 1.23456, unit: 'ms', yardstick: 'sigstore', ratio: 1.1 };

void describe('bench rows', () => {
  void describe('when a bench file returns well-formed rows', () => {
    void it('keeps them and names the file', () => {
      assert.deepEqual(checkRows([ROW], 'bench/x.bench.ts'), [
        { ...ROW, file: 'bench/x.bench.ts' },
      ]);
    });
  });

  void describe('when a bench file returns something else', () => {
    void it('rejects a non-array', () => {
      assert.throws(() => checkRows({ rows: [] }, 'bench/x.bench.ts'), {
        message: /^bench\/x\.bench\.ts: run\(\) must resolve to an array/,
      });
    });

    void it('names every bad field of every row', () => {
      const bad = [{ ...ROW, ratio: Number.NaN }, { ...ROW, name: 3, pass: 'yes' }, null];
      assert.throws(() => checkRows(bad, 'b.ts'), {
        message:
          'b.ts: row 0 ratio is not a number; row 1 name is not a string; row 1 pass is not a boolean; row 2 is not an object',
      });
    });
  });

  void describe('when rows are printed', () => {
    void it('aligns every column under its header', () => {
      const table = formatTable([
        { ...ROW, target: 'ratio <= 1.2', pass: true },
        {
          name: 'verify-chain, 6 records',
          value: 12.5,
          unit: 'ms',
          yardstick: 'n x verify',
          ratio: 0.9,
          pass: false,
        },
        { name: 'hash', value: 2048, unit: 'MB/s', yardstick: 'sha256sum', ratio: 1 },
      ]);
      assert.equal(
        table,
        [
          'benchmark                    value  yardstick   ratio  target        pass',
          '-----------------------  ---------  ----------  -----  ------------  ----',
          'verify                     1.23 ms  sigstore     1.1x  ratio <= 1.2  yes',
          'verify-chain, 6 records    12.5 ms  n x verify   0.9x                NO',
          'hash                     2048 MB/s  sha256sum      1x',
        ].join('\n'),
      );
    });

    void it('rounds to three significant digits', () => {
      assert.equal(formatNumber(0.000123456), '0.000123');
      assert.equal(formatNumber(999.94), '1000');
      assert.equal(formatNumber(123456.7), '123457');
    });
  });
});
