import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../../src/evidence/bytes.js';

describe('base64 in its one canonical spelling', () => {
  it('reads back what it writes, and refuses any other spelling of the same bytes', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(63), (bytes, k) => {
        const text = toBase64(bytes);
        expect(fromBase64(text)).toEqual(bytes);
        // Another last character before the padding: the same bytes at most, never accepted.
        const pad = text.length - text.replace(/=+$/, '').length;
        if (pad === 0) return;
        const at = text.length - pad - 1;
        const other = text.slice(0, at) + alphabet[k] + text.slice(at + 1);
        const read = fromBase64(other);
        expect(read === null || toBase64(read) === other).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
