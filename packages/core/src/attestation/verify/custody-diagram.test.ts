// The custody diagram draws text anyone can sign (stages, signer subjects): a hostile label must
// stay one inert label — no new node, edge, click handler, markup or end of the code fence.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { custodyFlowchart, mermaidText, type CustodyNode } from './custody-diagram.js';

const node = (stage: string, signer: string, verdict: CustodyNode['verdict']): CustodyNode => ({
  stage,
  signer,
  verdict,
  where: 'chain line 1',
});

void describe('custodyFlowchart', () => {
  void it('draws one node a record, arrows in order, and a class by verdict', () => {
    const chart = custodyFlowchart([
      node('source', 'key sha256:aa', 'verified'),
      node('build', 'key sha256:bb', 'signed'),
      node('test', 'key sha256:cc', 'failed'),
    ]);
    const lines = chart.split('\n');
    assert.equal(lines[0], 'flowchart TD');
    assert.deepEqual(
      lines.filter((l) => l.includes('-->')),
      ['  r0 --> r1', '  r1 --> r2'],
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith('  class ')),
      ['  class r0 verified', '  class r1 signed', '  class r2 failed'],
    );
    assert.ok(lines.some((l) => l.startsWith('  r2["test<br/>key sha256:cc<br/>❌ failed"]')));
  });

  void it('keeps a hostile signer inside its label', () => {
    const hostile =
      'x"] --> evil["pwned"]\n  click r0 "javascript:alert(1)"\n```\n<img src=x onerror=alert(1)>';
    const chart = custodyFlowchart([node('build', hostile, 'verified')]);
    const lines = chart.split('\n');
    assert.equal(lines.length, 6, 'header, one node, three classDefs, one class line');
    assert.equal(lines.filter((l) => l.includes('-->')).length, 0);
    assert.ok(!chart.includes('`'), 'no backtick can close the summary fence');
    assert.match(lines[1] ?? '', /^ {2}r0\["[^"<>]*(<br\/>[^"<>]*)*"\]$/, 'one quoted label');
    assert.ok(!chart.includes('\n  click'), 'no click directive of its own');
  });

  void it('bounds every label', () => {
    assert.ok(mermaidText('a'.repeat(10_000)).length <= 80);
    assert.equal(mermaidText('a"b'), 'a#34;b');
    assert.equal(mermaidText('line\nbreak'), 'line break');
  });
});
