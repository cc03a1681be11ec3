import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { emptyWal } from '../sqliteWal.js';
import type { KeyStore } from './keyStore.js';
import { onePerTurn } from './onePerTurn.js';

const KEY_BYTES = 32;

/**
 * Keys in their own SQLite file. `secure_delete` zeroes a deleted key's bytes in the page and
 * the free list, and the WAL (which still holds the pages as they were when the key was written)
 * is checkpointed and truncated to zero right after every destroy, so a destroyed key is left
 * neither in the database file nor in its journal.
 */
export class SqliteKeyStore implements KeyStore {
  private readonly db: Database.Database;
  private readonly stmt;
  /**
   * One read transaction for the lot: a lock per lookup would cost more than the lookups. Made
   * once: better-sqlite3 builds a transaction function at more than a lookup's cost.
   */
  private readonly readTx: (threadIds: Iterable<string>, out: Map<string, Buffer>) => void;
  /** Creates the keys of many threads in one durable write, never a destroyed one's. */
  private readonly create = onePerTurn((ids) => {
    // One draw of the random source for the lot: an import creates thousands of keys at once.
    const random = randomBytes(KEY_BYTES * ids.length);
    this.db
      .transaction(() => {
        ids.forEach((id, i) => {
          const key = random.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES);
          this.stmt.insert.run({ id, key });
        });
      })
      .immediate();
    random.fill(0); // no copy of a key is kept
  });

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('secure_delete = ON');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS content_keys (thread_id TEXT PRIMARY KEY, key BLOB NOT NULL) WITHOUT ROWID;
      -- ids whose key was destroyed: a destroyed key is never made again (old content stays sealed)
      CREATE TABLE IF NOT EXISTS shredded (thread_id TEXT PRIMARY KEY) WITHOUT ROWID;
    `);
    // had_key: whether a key existed when it was destroyed, so a repeated destroy (a retry, a
    // second worker) reports what the first one did.
    const columns = this.db
      .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('shredded')")
      .all();
    if (!columns.some((c) => c.name === 'had_key'))
      this.db.exec('ALTER TABLE shredded ADD COLUMN had_key INTEGER NOT NULL DEFAULT 0');
    this.stmt = {
      get: this.db.prepare<[string], { key: Buffer }>(
        'SELECT key FROM content_keys WHERE thread_id = ?',
      ),
      insert: this.db.prepare(`INSERT INTO content_keys (thread_id, key)
        SELECT @id, @key WHERE NOT EXISTS (SELECT 1 FROM shredded WHERE thread_id = @id) ON CONFLICT DO NOTHING`),
      del: this.db.prepare('DELETE FROM content_keys WHERE thread_id = ?'),
      shred: this.db.prepare(
        'INSERT INTO shredded (thread_id, had_key) VALUES (?, ?) ON CONFLICT DO UPDATE SET had_key = MAX(had_key, excluded.had_key)',
      ),
      hadKey: this.db.prepare<[string], { had_key: number }>(
        'SELECT had_key FROM shredded WHERE thread_id = ?',
      ),
    };
    this.readTx = this.db.transaction((threadIds: Iterable<string>, out: Map<string, Buffer>) => {
      for (const id of threadIds) {
        const key = this.stmt.get.get(id)?.key;
        if (key) out.set(id, key);
      }
    });
  }

  /**
   * Lookups made in the same turn of the event loop share one read transaction: every append reads
   * its thread's key, and an import's hundreds of appends a turn would each take a lock.
   */
  private readonly readGrouped = onePerTurn((ids) => this.read(ids));

  /** Calls made in the same turn of the event loop share one durable write (group commit), as appends do. */
  async ensure(threadIds: readonly string[]): Promise<Map<string, Buffer>> {
    const group = await this.readGrouped(threadIds);
    // The group's other keys are not handed out: each caller gets its own threads' alone.
    const found = new Map<string, Buffer>();
    for (const id of threadIds) {
      const key = group.get(id);
      if (key) found.set(id, key);
    }
    const missing = threadIds.filter((id) => !found.has(id));
    if (missing.length === 0) return found;
    await this.create(missing);
    // Read back what is stored: another process may have won an insert, and a destroyed key stays absent.
    for (const [id, key] of this.read(missing)) found.set(id, key);
    return found;
  }

  async getMany(threadIds: Iterable<string>): Promise<Map<string, Buffer>> {
    return this.read(threadIds);
  }

  private read(threadIds: Iterable<string>): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    this.readTx(threadIds, out);
    return out;
  }

  async destroy(threadIds: readonly string[]): Promise<{ destroyed: string[]; absent: string[] }> {
    const destroyed: string[] = [];
    const absent: string[] = [];
    this.db
      .transaction(() => {
        for (const id of threadIds) {
          const existed = this.stmt.del.run(id).changes > 0;
          this.stmt.shred.run(id, existed ? 1 : 0);
          (existed || this.stmt.hadKey.get(id)?.had_key ? destroyed : absent).push(id);
        }
      })
      .immediate();
    // Always: a retry after a failed truncation finds the keys gone but the journal still full.
    this.truncateWal();
    return { destroyed, absent };
  }

  /**
   * The WAL still holds the pages as they were when the keys were written: it must be emptied.
   * A reader in another process can hold it back; then this throws, and the step is retried.
   */
  private truncateWal(): void {
    for (let attempt = 0; attempt < 20; attempt++) if (emptyWal(this.db)) return;
    throw new Error(
      'the key store journal could not be emptied (a reader holds it); destroyed keys may linger there until retried',
    );
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
