import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Checkpoints } from '../../src/projections/checkpoints.js';
import { openReadModels } from '../../src/projections/readModels.js';

describe('Checkpoints.lowest: where the log must be read from', () => {
  it('given any checkpoints, is the lowest of the names asked, or null when one of them has none', () => {
    const names = ['a', 'b', 'c', 'd'];
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(...names),
          fc.option(fc.bigInt(0n, 2n ** 50n), { nil: null }),
        ),
        fc.array(fc.constantFrom(...names), { maxLength: 6 }),
        (stored, asked) => {
          const db = openReadModels(':memory:');
          const cps = new Checkpoints(db);
          for (const [name, position] of Object.entries(stored)) cps.put(name, position);
          const each = asked.map((n) => stored[n] ?? null);
          let expected: bigint | null = null;
          if (asked.length > 0 && !each.includes(null))
            for (const p of each as bigint[]) if (expected === null || p < expected) expected = p;
          expect(cps.lowest(asked)).toBe(expected);
          db.close();
        },
      ),
      { numRuns: 200 },
    );
  });
});
