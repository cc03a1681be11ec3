import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteKeyStore } from '../../src/io/keyStore.js';
import { tempDir } from '../support/tempDir.js';

describe('SQLite key store', () => {
  it('destroys a key for good: gone from the file and its WAL, and never made again', async () => {
    const dir = await tempDir();
    const keys = new SqliteKeyStore(join(dir.path, 'keys.db'));
    const key = keys.getOrCreate('t1');
    keys.createMany(['t2', 't3']);
    expect(keys.getOrCreate('t1').equals(key)).toBe(true);
    expect([...keys.getMany(['t1', 't2', 'nope']).keys()]).toEqual(['t1', 't2']);
    expect(keys.destroy(['t1', 'nope'])).toEqual({ destroyed: ['t1'], absent: ['nope'] });
    for (const f of readdirSync(dir.path)) expect(readFileSync(join(dir.path, f)).includes(key), f).toBe(false);
    expect(keys.get('t1')).toBeNull();
    expect(() => keys.getOrCreate('t1')).toThrow(/was destroyed; it is not made again/);
    keys.createMany(['t1']);
    expect(keys.get('t1')).toBeNull();
    keys.close();
    await dir.remove();
  });
});
