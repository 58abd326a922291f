// How deep a JSON text nests, read before JSON.parse: parsing a file of millions of brackets takes
// tens of seconds (and the memory of every level) before any limit checked on the parsed value
// could refuse it. One pass over the characters, strings skipped; linear in the text.

/** Why the text nests too deep ("nests deeper than N levels"), or undefined when it does not. */
export function jsonNestingProblem(text: string, maxDepth: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth += 1;
      if (depth > maxDepth) return `nests deeper than ${maxDepth} levels`;
    } else if (c === 0x5d || c === 0x7d) depth -= 1;
  }
  return undefined;
}
