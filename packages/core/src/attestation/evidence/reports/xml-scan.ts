// One linear pass over an XML report before any parser sees it. It refuses what a test report never
// needs and an attacker does: document type and entity declarations (entity expansion — "billion
// laughs" — and external entities that read files or URLs), and it bounds what the parser would
// build: the nesting depth and the number of elements. A file that ends inside a tag, a comment, a
// CDATA section or an open element is truncated. Comments and CDATA are skipped whole, so a test's
// output quoting "<!DOCTYPE html>" inside CDATA is text, not a declaration.
import type { Report, ReportLimits } from './report.js';
import { REPORT_LIMITS, reportError } from './report.js';

export interface XmlShape {
  readonly elements: number;
  readonly maxDepth: number;
  /** How many elements are named `counted` (scanXml's argument), wherever they are. */
  readonly counted: number;
}

/** The end of a start tag opened at `from` (the index of its `>`), quoted values skipped; -1 if none. */
function endOfTag(text: string, from: number): number {
  for (let k = from; k < text.length; k += 1) {
    const c = text[k];
    if (c === '>') return k;
    if (c === '"' || c === "'") {
      const close = text.indexOf(c, k + 1);
      if (close === -1) return -1;
      k = close;
    }
  }
  return -1;
}

/** The index just past `closing`, searched from `from`; throws "truncated" when the file ends first. */
function skipPast(text: string, from: number, closing: string, what: string, report: Report) {
  const end = text.indexOf(closing, from);
  if (end === -1) {
    throw reportError(report, `the XML file is truncated: it ends inside ${what}`);
  }
  return end + closing.length;
}

function refuseDeclaration(text: string, at: number, report: Report): never {
  const head = text.slice(at + 2, at + 9).toUpperCase();
  if (head.startsWith('DOCTYPE') || head.startsWith('ENTITY')) {
    throw reportError(
      report,
      'the XML file declares a DOCTYPE or entities (entity expansion, external entities): refused — a test report needs neither',
    );
  }
  throw reportError(report, `the XML file holds a markup declaration "<!${head}…": refused`);
}

/** An element's name: from just past `<` (or `</`) to the first space, `/` or `>`. */
function nameAt(text: string, from: number, end: number): string {
  const match = /^[^\s/>]*/.exec(text.slice(from, Math.min(end, from + 256)));
  return match?.[0] ?? '';
}

/**
 * Scans `text`; returns its shape or throws REPORT_INVALID naming the report. The open elements'
 * names are kept (at most the depth limit of them), so a mismatched end tag or a second root is
 * refused here: the parser afterwards is lenient about both.
 */
export function scanXml(
  text: string,
  report: Report,
  limits: ReportLimits = REPORT_LIMITS,
  counted = '',
): XmlShape {
  let count = 0;
  const open: string[] = [];
  let deepest = 0;
  let elements = 0;
  let i = text.indexOf('<');
  while (i !== -1) {
    if (text.startsWith('<!--', i)) i = skipPast(text, i + 4, '-->', 'a comment', report);
    else if (text.startsWith('<![CDATA[', i)) {
      i = skipPast(text, i + 9, ']]>', 'a CDATA section', report);
    } else if (text[i + 1] === '!') refuseDeclaration(text, i, report);
    else if (text[i + 1] === '?')
      i = skipPast(text, i + 2, '?>', 'a processing instruction', report);
    else if (text[i + 1] === '/') {
      const next = skipPast(text, i + 2, '>', 'an end tag', report);
      const name = nameAt(text, i + 2, next - 1);
      const expected = open.pop();
      if (expected === undefined) {
        throw reportError(report, 'the XML file closes an element it never opened');
      }
      if (name !== expected) {
        throw reportError(
          report,
          `the XML file closes <${expected}> with </${name}>: not well-formed`,
        );
      }
      i = next;
    } else {
      const end = endOfTag(text, i + 1);
      if (end === -1) throw reportError(report, 'the XML file is truncated: it ends inside a tag');
      if (open.length === 0 && elements > 0) {
        throw reportError(report, 'the XML file has more than one root element');
      }
      elements += 1;
      if (elements > limits.maxElements) {
        throw reportError(report, `the XML file holds more than ${limits.maxElements} elements`);
      }
      const name = nameAt(text, i + 1, end);
      if (name === counted) count += 1;
      if (text[end - 1] !== '/') {
        open.push(name);
        deepest = Math.max(deepest, open.length);
        if (open.length > limits.maxDepth) {
          throw reportError(report, `the XML file nests deeper than ${limits.maxDepth} elements`);
        }
      }
      i = end + 1;
    }
    i = text.indexOf('<', i);
  }
  if (open.length !== 0) {
    throw reportError(report, `the XML file is truncated: ${open.length} element(s) never closed`);
  }
  if (elements === 0) throw reportError(report, 'the file holds no XML element');
  return { elements, maxDepth: deepest, counted: count };
}
