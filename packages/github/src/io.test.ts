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

    void it('keeps every cell and line on one line, so a blank line cannot end the HTML and start Markdown', () => {
      // An SSH signature's namespace (attacker-chosen) reaches a rejected commit's reason cell.
      const injected = 'ns\n\n[approve here](https://attacker.invalid/)\r\n \r\nmore';
      const html = renderSummary({
        heading: `h${injected}`,
        lines: [`l${injected}`],
        table: { header: ['reason'], rows: [[`c${injected}`]] },
      });
      assert.ok(!/\n[ \t]*\r?\n/.test(html), JSON.stringify(html));
      assert.ok(!/[^>]\r?\n[^<]/.test(html), JSON.stringify(html));
      assert.match(html, /<td>cns +\[approve here\]\(https:\/\/attacker\.invalid\/\) +more<\/td>/);
    });

    void it('escapes quotes too', () => {
      assert.equal(escapeHtml(`"x' `), '&quot;x&#39; ');
    });
  });
});
