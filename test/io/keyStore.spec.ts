import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteKeyStore } from '../../src/io/keys/sqliteKeyStore.js';
import { tempDir } from '../support/tempDir.js';
import { keyStoreContract } from './keyStoreContract.js';

keyStoreContract('SQLite', async () => {
  const dir = await tempDir();
  return { keys: new SqliteKeyStore(join(dir.path, 'keys.db')), cleanup: dir.remove };
});

describe('SQLite key store', () => {
  it('destroys a key for good: gone from the file and its WAL', async () => {
    const dir = await tempDir();
    const keys = new SqliteKeyStore(join(dir.path, 'keys.db'));
    const key = (await keys.ensure(['t1', 't2'])).get('t1')!;
    const files = () =>
      readdirSync(dir.path).filter((f) => readFileSync(join(dir.path, f)).includes(key));
    expect(files().length).toBeGreaterThan(0); // the scan can see a live key
    await keys.destroy(['t1']);
    expect(files()).toEqual([]);
    await keys.close();
    await dir.remove();
  });
});
