/**
 * Cheap scans of a request body's nesting depth, run before any parser sees
 * the body. A deeply nested body (`[[[[…` a few hundred kilobytes long) costs
 * one byte per level to send but a stack frame per level to parse, copy,
 * merge and validate; upstream's JSON decoder refuses more than 10,000 levels
 * and its YAML decoder the same ("exceeded max depth of 10000"). These scans
 * look at each byte once, keep no more than a counter (JSON) or a stack of
 * indentation columns (YAML), and stop as soon as the limit is passed, so a
 * hostile body is refused in microseconds and never reaches the parsers.
 * They read the raw bytes: every character that structures JSON or YAML is
 * ASCII, and no byte of a multi-byte UTF-8 character is, so the body need
 * not be decoded to text first (itself tens of milliseconds for 3 MiB).
 */

/** Most levels of objects and arrays a JSON body may nest, as upstream (Go's encoding/json). */
export const maxJsonNestingDepth = 10_000;

/**
 * Most levels a YAML body may nest. Upstream allows 10,000, but the `yaml`
 * package parses recursively and runs out of stack (or, at thousands of flow
 * levels, memory: the process aborts) a little under 1,000 levels, so skiff
 * stops well before that. Real manifests nest a few dozen levels.
 */
export const maxYamlNestingDepth = 500;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether a JSON text nests objects and arrays deeper than `limit`. Brackets
 * inside strings do not count; the text need not be valid JSON (the parser
 * judges that afterwards), the scan only bounds what the parser will face.
 */
export function jsonNestingExceeds(bytes: Uint8Array, limit = maxJsonNestingDepth): boolean {
  let depth = 0;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      // Skip the string, honouring backslash escapes.
      for (i++; i < length; i++) {
        const s = bytes[i];
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/**
 * Whether a YAML text nests deeper than `limit`, counted the way a YAML
 * parser sees it: every block level needs a deeper indentation (or a compact
 * `- ` / `? ` indicator on the same line), every flow level a `[` or `{` in
 * value position. Quoted scalars, comments and the content of block scalars
 * (`|`, `>`) are skipped, so brackets in text do not count. The figure can be
 * a level or two above the parser's own; that only matters at the limit.
 */
export function yamlNestingExceeds(text: Uint8Array, limit = maxYamlNestingDepth): boolean {
  const length = text.length;
  const indents: number[] = []; // block levels open at this point: their indentation columns
  let flow = 0; // open flow collections
  let i = 0;
  let blockScalarParent = -1; // indentation of the line that opened a block scalar, while inside one
  while (i < length) {
    // At the start of a line: measure its indentation.
    let column = 0;
    while (i < length && text[i] === 0x20) {
      i++;
      column++;
    }
    const first = text[i];
    const blank = i >= length || first === 0x0a || first === 0x0d;
    if (blockScalarParent >= 0) {
      if (blank || column > blockScalarParent) {
        i = endOfLine(text, i);
        continue;
      }
      blockScalarParent = -1;
    }
    if (flow === 0) {
      if (blank || first === 0x23 /* # */) {
        i = endOfLine(text, i);
        continue;
      }
      while (indents.length > 0 && indents[indents.length - 1] >= column) indents.pop();
      indents.push(column);
      // Compact nesting on one line: `- - - x`, `? - x`.
      while ((text[i] === 0x2d /* - */ || text[i] === 0x3f /* ? */) && isBlankOrEnd(text, i + 1)) {
        i++;
        column++;
        while (i < length && text[i] === 0x20) {
          i++;
          column++;
        }
        indents.push(column);
      }
      if (indents.length > limit) return true;
    }
    // The rest of the line: quoted scalars, flow brackets, comments, block scalar headers.
    let valueStart = true;
    let previous = 0x20;
    for (; i < length; i++) {
      const c = text[i];
      if (c === 0x0a) break;
      if (c === 0x20 || c === 0x09 || c === 0x0d) {
        previous = c;
        continue;
      }
      if (c === 0x23 /* # */ && (previous === 0x20 || previous === 0x09)) {
        i = endOfLine(text, i) - 1;
        break;
      }
      if (valueStart && (c === 0x22 || c === 0x27)) {
        i = endOfQuoted(text, i);
        valueStart = false;
      } else if (valueStart && (c === OPEN_BRACKET || c === OPEN_BRACE)) {
        if (++flow + indents.length > limit) return true;
      } else if (flow > 0 && (c === CLOSE_BRACKET || c === CLOSE_BRACE)) {
        flow--;
        valueStart = false;
      } else if (c === 0x2c /* , */ && flow > 0) {
        valueStart = true;
      } else if (c === 0x3a /* : */ && (flow > 0 || isBlankOrEnd(text, i + 1))) {
        valueStart = true;
      } else if (valueStart && flow === 0 && (c === 0x7c /* | */ || c === 0x3e /* > */)) {
        blockScalarParent = indents.length > 0 ? indents[indents.length - 1] : 0;
        i = endOfLine(text, i) - 1;
        break;
      } else if (!(valueStart && (c === 0x2d || c === 0x3f) && isBlankOrEnd(text, i + 1))) {
        valueStart = false;
      }
      previous = c;
    }
    i++; // past the newline
  }
  return false;
}

function endOfLine(text: Uint8Array, from: number): number {
  const newline = text.indexOf(0x0a, from);
  return newline < 0 ? text.length : newline + 1;
}

function isBlankOrEnd(text: Uint8Array, at: number): boolean {
  if (at >= text.length) return true;
  const c = text[at];
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Index of the closing quote of the quoted scalar opening at `from` (it may span lines). */
function endOfQuoted(text: Uint8Array, from: number): number {
  const quote = text[from];
  for (let i = from + 1; i < text.length; i++) {
    const c = text[i];
    if (quote === 0x22 && c === 0x5c /* \ */) i++;
    else if (c === quote) {
      // '' inside a single-quoted scalar is an escaped quote.
      if (quote === 0x27 && text[i + 1] === 0x27) i++;
      else return i;
    }
  }
  return text.length;
}

/**
 * Whether a decoded value (a protobuf body's object) nests objects and arrays
 * deeper than `limit`. Iterative, so it cannot itself run out of stack.
 */
export function valueNestingExceeds(value: unknown, limit = maxJsonNestingDepth): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!;
    if (next === null || typeof next !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(next) ? next : Object.values(next)) {
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
    }
  }
  return false;
}
