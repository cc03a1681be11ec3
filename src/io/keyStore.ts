import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';

/** Per-thread content keys (crypto-shredding): destroying a key makes the thread's sealed content unreadable. */
export interface KeyStore {
  /** The thread's key, created on first use. */
  getOrCreate(threadId: string): Buffer;
  /** Creates the keys of many threads in one durable write (bulk starts and imports); never a destroyed one. */
  createMany(threadIds: readonly string[]): void;
  /**
   * Makes sure these threads have keys. Calls made in the same turn of the event loop share one
   * durable write (group commit), as appends do.
   */
  ensure(threadIds: readonly string[]): Promise<void>;
  /** The thread's key, or null if it never existed or was destroyed. */
  get(threadId: string): Buffer | null;
  /** The keys that exist among these threads, read in one snapshot. */
  getMany(threadIds: Iterable<string>): Map<string, Buffer>;
  /** Destroys the keys, all in one durable step; reports which existed. */
  destroy(threadIds: readonly string[]): { destroyed: string[]; absent: string[] };
  close(): void;
}

/**
 * Keys in their own SQLite file. `secure_delete` zeroes a deleted key's bytes in the page and
 * the free list, and the WAL (which still holds the pages as they were when the key was written)
 * is checkpointed and truncated to zero right after every destroy, so a destroyed key is left
 * neither in the database file nor in its journal.
 */
export class SqliteKeyStore implements KeyStore {
  private readonly db: Database.Database;
  private readonly stmt;
  private pending = new Set<string>();
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];

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
    this.stmt = {
      get: this.db.prepare<[string], { key: Buffer }>('SELECT key FROM content_keys WHERE thread_id = ?'),
      insert: this.db.prepare(`INSERT INTO content_keys (thread_id, key)
        SELECT @id, @key WHERE NOT EXISTS (SELECT 1 FROM shredded WHERE thread_id = @id) ON CONFLICT DO NOTHING`),
      del: this.db.prepare('DELETE FROM content_keys WHERE thread_id = ?'),
      shred: this.db.prepare('INSERT INTO shredded (thread_id) VALUES (?) ON CONFLICT DO NOTHING'),
    };
  }

  getOrCreate(threadId: string): Buffer {
    const found = this.get(threadId);
    if (found) return found;
    this.stmt.insert.run({ id: threadId, key: randomBytes(32) });
    // Another process may have won the insert: read back the one that is stored.
    const key = this.get(threadId);
    if (!key) throw new Error(`the content key of thread ${threadId} was destroyed; it is not made again`);
    return key;
  }

  createMany(threadIds: readonly string[]): void {
    this.db.transaction(() => {
      for (const id of threadIds) this.stmt.insert.run({ id, key: randomBytes(32) });
    }).immediate();
  }

  ensure(threadIds: readonly string[]): Promise<void> {
    const missing = threadIds.filter((id) => this.get(id) === null);
    if (missing.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      for (const id of missing) this.pending.add(id);
      this.waiting.push({ resolve, reject });
      if (this.waiting.length === 1) setImmediate(() => this.flushPending());
    });
  }

  private flushPending(): void {
    const ids = [...this.pending];
    const waiting = this.waiting;
    this.pending = new Set();
    this.waiting = [];
    try {
      this.createMany(ids);
    } catch (err) {
      for (const w of waiting) w.reject(err);
      return;
    }
    for (const w of waiting) w.resolve();
  }

  get(threadId: string): Buffer | null {
    return this.stmt.get.get(threadId)?.key ?? null;
  }

  getMany(threadIds: Iterable<string>): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    // One read transaction for the lot: a lock per lookup would cost more than the lookups.
    this.db.transaction(() => {
      for (const id of threadIds) {
        const key = this.stmt.get.get(id)?.key;
        if (key) out.set(id, key);
      }
    })();
    return out;
  }

  destroy(threadIds: readonly string[]): { destroyed: string[]; absent: string[] } {
    const destroyed: string[] = [];
    const absent: string[] = [];
    this.db.transaction(() => {
      for (const id of threadIds) {
        (this.stmt.del.run(id).changes > 0 ? destroyed : absent).push(id);
        this.stmt.shred.run(id);
      }
    }).immediate();
    // Always: a retry after a failed truncation finds the keys gone but the journal still full.
    this.truncateWal();
    return { destroyed, absent };
  }

  /**
   * The WAL still holds the pages as they were when the keys were written: it must be emptied.
   * A reader in another process can hold it back; then this throws, and the step is retried.
   */
  private truncateWal(): void {
    for (let attempt = 0; attempt < 20; attempt++) {
      const [r] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (r && r.busy === 0) return;
    }
    throw new Error('the key store journal could not be emptied (a reader holds it); destroyed keys may linger there until retried');
  }

  close(): void {
    this.db.close();
  }
}
