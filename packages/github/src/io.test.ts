import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, renderSummary } from './io.js';

void describe('the job summary', () => {
  void describe('when cells carry attacker-chosen text', () => {
    void it('escapes every cell, heading and line', () => {
      const html = renderSummary({
        heading: 'Commits <b>',
        lines: ['a & b'],
        table: { header: ['signer'], rows: [['<img src=x onerror=alert(1)>']] },
      });
      assert.ok(!html.includes('<img'), html);
      assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
      assert.match(html, /<h2>Commits &lt;b&gt;<\/h2>/);
      assert.match(html, /<p>a &amp; b<\/p>/);
      assert.match(html, /<th>signer<\/th>/);
    });

    void it('escapes quotes too', () => {
      assert.equal(escapeHtml(`"x' `), '&quot;x&#39; ');
    });
  });
});
