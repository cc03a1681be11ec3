import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpanBytes } from '../../src/projections/spanBytes.js';

describe('SpanBytes', () => {
  it('gives back every value pushed, in order, however many (across its growth), until cleared', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), (n) => {
        // Given values of 4 bytes pushed one after another
        const bytes = new SpanBytes(4);
        const value = (i: number) => Buffer.from(Uint32Array.of(i * 2654435761).buffer);
        for (let i = 0; i < n; i++) bytes.push(value(i));
        // then each is there at its index
        expect(bytes.length).toBe(n);
        for (let i = 0; i < n; i++) expect(bytes.at(i)).toEqual(value(i));
        // and none once cleared
        bytes.clear();
        expect(bytes.length).toBe(0);
      }),
      { numRuns: 20, seed: 15 },
    );
  });

  it('refuses a value of another width, naming both', () => {
    expect(() => new SpanBytes(32).push(new Uint8Array(31))).toThrow('a value of 31 bytes, not 32');
  });
});
