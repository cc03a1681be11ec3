import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyStore } from '../../src/io/keys/keyStore.js';

/** Builds a fresh, empty key store for each test; `cleanup` runs after it is closed. */
export type KeyStoreFactory = () => Promise<{ keys: KeyStore; cleanup?: () => Promise<void> }>;

/** The behaviour every KeyStore must have: the embedded one and the key service alike. */
export const keyStoreContract = (name: string, factory: KeyStoreFactory): void => {
  describe(`KeyStore contract: ${name}`, () => {
    let keys: KeyStore;
    let cleanup: (() => Promise<void>) | undefined;
    const id = () => randomUUID();

    beforeEach(async () => {
      ({ keys, cleanup } = await factory());
    });
    afterEach(async () => {
      await keys.close();
      await cleanup?.();
    });

    it('ensure makes a 32-byte key once and returns the same key ever after', async () => {
      const [a, b] = [id(), id()];
      const first = await keys.ensure([a, b]);
      expect(first.get(a)).toHaveLength(32);
      expect(first.get(a)!.equals(first.get(b)!)).toBe(false);
      const again = await keys.ensure([a]);
      expect(again.get(a)!.equals(first.get(a)!)).toBe(true);
    });

    it('concurrent ensures of one thread agree on one key', async () => {
      const a = id();
      const all = await Promise.all(Array.from({ length: 20 }, () => keys.ensure([a])));
      for (const m of all) expect(m.get(a)!.equals(all[0]!.get(a)!)).toBe(true);
    });

    it('getMany returns only the keys that exist, and creates none', async () => {
      const [a, never] = [id(), id()];
      await keys.ensure([a]);
      const got = await keys.getMany([a, never]);
      expect([...got.keys()]).toEqual([a]);
      expect((await keys.getMany([never])).size).toBe(0);
    });

    it('destroy reports what existed; a destroyed key is never made again', async () => {
      const [a, b, never] = [id(), id(), id()];
      await keys.ensure([a, b]);
      expect(await keys.destroy([a, never])).toEqual({ destroyed: [a], absent: [never] });
      expect((await keys.getMany([a, b])).has(a)).toBe(false);
      expect((await keys.ensure([a, b])).has(a)).toBe(false); // old content stays sealed for good
      expect((await keys.ensure([never])).has(never)).toBe(false);
      expect((await keys.getMany([b])).has(b)).toBe(true);
      // Again (a retry, a second worker): the same report as the first time.
      expect(await keys.destroy([a, never])).toEqual({ destroyed: [a], absent: [never] });
    });

    it('an empty request asks nothing', async () => {
      expect((await keys.ensure([])).size).toBe(0);
      expect((await keys.getMany([])).size).toBe(0);
      expect(await keys.destroy([])).toEqual({ destroyed: [], absent: [] });
    });

    it('serves more threads than one request carries (12,000)', async () => {
      const many = Array.from({ length: 12_000 }, id);
      expect((await keys.ensure(many)).size).toBe(12_000);
      expect((await keys.getMany(many)).size).toBe(12_000);
      const r = await keys.destroy(many);
      expect(r.destroyed.length).toBe(12_000);
    });
  });
};
