import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openReadModels } from '../../src/projections/readModels.js';
import { tempDir } from '../support/tempDir.js';

const indexes = (file: string): string[] => {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[], { name: string }>(
        `SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`,
      )
      .all()
      .map((r) => r.name);
  } finally {
    db.close();
  }
};

describe('the read model database', () => {
  it('is indexed once, however often it is opened, and sheds the copies earlier versions made', async () => {
    const dir = await tempDir();
    const file = join(dir.path, 'read.db');
    openReadModels(file).close();
    const first = indexes(file);
    expect(first.length).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) openReadModels(file).close();
    expect(indexes(file)).toEqual(first);
    // A copy of every index under another name, as each open used to add.
    const db = new Database(file);
    for (const { sql } of db
      .prepare<[], { sql: string }>(
        `SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`,
      )
      .all()) {
      db.exec(
        sql.replace(
          /INDEX (IF NOT EXISTS )?(\S+)/,
          (_m, ine, name) => `INDEX ${ine ?? ''}${name}_copy`,
        ),
      );
    }
    db.close();
    expect(indexes(file).length).toBe(first.length * 2);
    openReadModels(file).close();
    expect(indexes(file)).toEqual(first);
    await dir.remove();
  });
});
