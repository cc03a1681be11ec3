import type { EventStore } from '../../src/store/eventStore.js';

/** A seeded PRNG (mulberry32), so a failing interleaving can be replayed. */
export const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

/**
 * Wraps a store so that every read and append waits a random moment: many interleavings.
 * `scaleMs`: the longest pause; a store whose calls take longer (a network round trip) needs more.
 */
export const jitteryStore = (inner: EventStore, random: () => number, scaleMs = 3): EventStore => {
  const pause = () =>
    new Promise<void>((r) => {
      const x = random();
      if (x < 0.3) queueMicrotask(r);
      else if (x < 0.7) setImmediate(r);
      else setTimeout(r, Math.floor(random() * scaleMs));
    });
  return {
    append: async (...args) => {
      await pause();
      const r = await inner.append(...args);
      await pause();
      return r;
    },
    readStream: async (...args) => {
      await pause();
      return inner.readStream(...args);
    },
    readAll: (opts) => inner.readAll(opts),
    readStored: (opts) => inner.readStored(opts),
    readEntries: (opts) => inner.readEntries(opts),
    entryPages: (after) => inner.entryPages(after),
    recordPages: (after) => inner.recordPages(after),
    headPosition: () => inner.headPosition(),
    subscribeToAll: (opts) => inner.subscribeToAll(opts),
    close: () => inner.close(),
  };
};
