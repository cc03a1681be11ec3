import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CodexDatabasePool } from '../../src/codex/codexDatabasePool.js';

/** A database with `threads` rows for `doomed` and `kept`, padded to about `mib` MiB. */
const database = (dir: string, name: string, mib: number): string => {
  const path = join(dir, name);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE threads (id TEXT PRIMARY KEY, body TEXT); CREATE TABLE pad (b BLOB);');
  db.prepare('INSERT INTO threads VALUES (?, ?), (?, ?)').run('doomed', 'secret', 'kept', 'x');
  const pad = db.prepare('INSERT INTO pad VALUES (zeroblob(65536))');
  for (let i = 0; i < mib * 16; i++) pad.run();
  db.close();
  return path;
};

const pool = new CodexDatabasePool(1);
afterAll(() => pool.close());

describe('the pool that purges Codex databases on worker threads', () => {
  it('purges on a worker the databases asked for in one turn, the largest first, a failure its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'codex-pool-'));
    const small = database(dir, 'goals_1.sqlite', 1);
    const large = database(dir, 'state_5.sqlite', 4);
    const middle = database(dir, 'logs_2.sqlite', 2);
    symlinkSync(large, join(dir, 'state_6.sqlite'));
    const finished: string[] = [];
    const asked = [small, large, join(dir, 'state_6.sqlite'), middle].map((path) =>
      pool.purge(path, [{ threadId: 'doomed', rolloutPaths: [] }]).then(
        (rows) => {
          finished.push(path);
          return rows.get('doomed');
        },
        (err: Error) => err.message,
      ),
    );
    const [a, b, refused, c] = await Promise.all(asked);
    expect(finished).toEqual([large, middle, small]);
    for (const rows of [a, b, c]) expect(rows).toEqual([{ table: 'threads', rows: 1 }]);
    expect(refused).toMatch(/not a regular file/);
    const left = new Database(large, { readonly: true });
    expect(left.prepare('SELECT id FROM threads').pluck().all()).toEqual(['kept']);
    left.close();
  });
});
