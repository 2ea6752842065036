/**
 * Byte spans inside JSON text that is already known to be valid (JSON.parse accepted it). mq stores a message value
 * as the exact bytes the producer sent, so it needs where each value starts and ends, not a re-serialisation.
 * Structural characters are ASCII and never occur inside a multi-byte UTF-8 sequence, so scanning bytes is safe.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;

export interface Span {
  start: number;
  end: number;
}

export function skipWs(b: Uint8Array, i: number): number {
  while (i < b.length) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** End (exclusive) of the string whose opening quote is at i. */
function skipString(b: Uint8Array, i: number): number {
  i++;
  while (b[i] !== QUOTE) i += b[i] === BACKSLASH ? 2 : 1;
  return i + 1;
}

/** End (exclusive) of the JSON value starting at i (no leading whitespace). */
export function skipValue(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === QUOTE) return skipString(b, i);
  if (c === LBRACE || c === LBRACKET) {
    let depth = 0;
    while (i < b.length) {
      const d = b[i]!;
      if (d === QUOTE) {
        i = skipString(b, i);
        continue;
      }
      if (d === LBRACE || d === LBRACKET) depth++;
      else if (d === RBRACE || d === RBRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return i;
  }
  // number, true, false, null: up to the next delimiter
  while (i < b.length) {
    const d = b[i]!;
    if (d === COMMA || d === RBRACE || d === RBRACKET || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
    i++;
  }
  return i;
}

function keyAt(b: Uint8Array, start: number, end: number): string {
  const raw = Buffer.from(b.buffer, b.byteOffset + start, end - start);
  return raw.includes(BACKSLASH) ? (JSON.parse(raw.toString('utf8')) as string) : raw.toString('utf8', 1, raw.length - 1);
}

/**
 * For the object starting at i: the span of the member named `field` (or undefined), and the object's end.
 * When a key repeats, the last one wins, as with JSON.parse.
 */
export function memberSpan(b: Uint8Array, i: number, field: string): {span: Span | undefined; end: number} {
  let span: Span | undefined;
  i = skipWs(b, i + 1);
  if (b[i] === RBRACE) return {span, end: i + 1};
  for (;;) {
    const keyEnd = skipString(b, i);
    const key = keyAt(b, i, keyEnd);
    i = skipWs(b, keyEnd);
    i = skipWs(b, i + 1); // past ':'
    const vEnd = skipValue(b, i);
    if (key === field) span = {start: i, end: vEnd};
    i = skipWs(b, vEnd);
    if (b[i] === COMMA) {
      i = skipWs(b, i + 1);
      continue;
    }
    return {span, end: i + 1};
  }
}

/** Spans of `field` in each element of the array that is the value of member `arrayField` of the top-level object. */
export function spansInArrayMember(b: Uint8Array, arrayField: string, field: string): Array<Span | undefined> {
  let i = skipWs(b, 0);
  const arr = memberSpan(b, i, arrayField).span;
  const out: Array<Span | undefined> = [];
  if (!arr) return out;
  i = skipWs(b, arr.start + 1);
  if (b[i] === RBRACKET) return out;
  for (;;) {
    if (b[i] === LBRACE) {
      const r = memberSpan(b, i, field);
      out.push(r.span);
      i = r.end;
    } else {
      out.push(undefined);
      i = skipValue(b, i);
    }
    i = skipWs(b, i);
    if (b[i] !== COMMA) return out;
    i = skipWs(b, i + 1);
  }
}

/** Spans of the elements of the array that is the value of member `arrayField` of the top-level object. */
export function elementsOfArrayMember(b: Uint8Array, arrayField: string): Span[] {
  const arr = memberSpan(b, skipWs(b, 0), arrayField).span;
  const out: Span[] = [];
  if (!arr) return out;
  let i = skipWs(b, arr.start + 1);
  if (b[i] === RBRACKET) return out;
  for (;;) {
    const end = skipValue(b, i);
    out.push({start: i, end});
    i = skipWs(b, end);
    if (b[i] !== COMMA) return out;
    i = skipWs(b, i + 1);
  }
}
