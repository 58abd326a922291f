// Walks the non-blank lines of a text without splitting it into one array entry per line: a file
// of a hundred million newlines is small enough to pass a size limit, and too many lines for V8.

/** One non-blank line, trimmed, with its 1-based line number. */
export interface TextLine {
  readonly text: string;
  readonly number: number;
}

function newlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i += 1) if (text.charCodeAt(i) === 10) count += 1;
  return count;
}

/** Yields each line (split on `\n`) whose trimmed text is not empty; blank runs cost no allocation. */
export function* nonBlankLines(text: string): Generator<TextLine> {
  const content = /\S/g;
  let start = 0;
  let number = 1;
  for (;;) {
    content.lastIndex = start;
    const hit = content.exec(text);
    if (hit === null) return;
    // Skip the blank lines before the hit, counting them without making a string per line.
    const lineStart = text.lastIndexOf('\n', hit.index) + 1;
    number += newlines(text, start, lineStart);
    start = Math.max(start, lineStart);
    const end = text.indexOf('\n', hit.index);
    yield { text: text.slice(start, end === -1 ? text.length : end).trim(), number };
    if (end === -1) return;
    number += 1;
    start = end + 1;
  }
}
