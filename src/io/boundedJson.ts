/**
 * JSON from outside (a request, a line of a Codex file) is measured before anything recursive
 * touches it: JSON.stringify, io-ts, digests and SQLite's JSON functions all recurse, and a value
 * nested a few thousand levels deep overflows the stack (an uncatchable end of the process when it
 * happens while an error is being answered). The measure is a single iterative pass over the text.
 */

/** Requests (JSON-RPC over stdio and WebSocket, HTTP bodies): at most this many nested arrays and objects. */
export const MAX_REQUEST_DEPTH = 64;
/** A JSON-RPC message (a line on stdio, a WebSocket frame): at most this many bytes. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/**
 * A line of a file Codex wrote (rollouts, the session index): at most this many nested arrays
 * and objects. Codex's own lines are a few levels deep plus whatever a tool returned; a deeper line
 * is treated as a line that is not JSON.
 */
export const MAX_FILE_LINE_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * How deeply arrays and objects nest in a JSON text, counted without parsing it (brackets inside
 * strings do not count): `1` for `[]` or `{"a":1}`, `0` for a scalar. Stops counting once the depth
 * passes `stopAbove` (the answer is then some number above it). Malformed text gets a number too;
 * JSON.parse says what is wrong with it.
 */
export const jsonNestingDepth = (text: string, stopAbove = Number.POSITIVE_INFINITY): number => {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return max;
};

export type BoundedParse =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: 'too-deep' | 'syntax'; readonly message: string };

/**
 * Whether a text opens at most `max` arrays and objects, brackets inside strings counted too: a
 * bound on its depth found by native searches, without a pass over each character in JavaScript.
 */
const opensAtMost = (text: string, max: number): boolean => {
  let opened = 0;
  for (const bracket of ['{', '[']) {
    for (let i = text.indexOf(bracket); i !== -1; i = text.indexOf(bracket, i + 1))
      if (++opened > max) return false;
  }
  return true;
};

/** JSON.parse, for a text nested at most `maxDepth` deep (checked first, without recursion). */
export const parseBoundedJson = (text: string, maxDepth: number): BoundedParse => {
  // Most texts open fewer brackets than the limit: their depth needs no exact count.
  if (!opensAtMost(text, maxDepth) && jsonNestingDepth(text, maxDepth) > maxDepth) {
    return { ok: false, reason: 'too-deep', message: `JSON nested deeper than ${maxDepth} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: 'syntax', message: (err as Error).message };
  }
};
