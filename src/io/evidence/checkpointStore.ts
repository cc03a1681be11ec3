import Database from 'better-sqlite3';
import { VerificationLog } from './verificationLog.js';

/** A signed checkpoint as kept: its tree size, the signed note, and when it was signed. */
export type KeptCheckpoint = {
  readonly size: number;
  readonly note: string;
  readonly signedAtMs: number;
};

/**
 * Every checkpoint the ledger signed, kept for good in `evidence.db` beside the log (not in
 * read.db: a rebuild or a lost read.db must not lose what was signed). synchronous=FULL: a
 * checkpoint is on disk before it is served. Several processes over one folder may sign the same
 * size: the first note kept for a size stays.
 */
export class CheckpointStore {
  private readonly db: Database.Database;
  private readonly stmt;
  /** The verifications of the log against these checkpoints (`serve`'s and `verify`'s). */
  readonly verifications: VerificationLog;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS checkpoints (
      size         INTEGER PRIMARY KEY,
      note         TEXT    NOT NULL,
      signed_at_ms INTEGER NOT NULL
    )`);
    this.verifications = new VerificationLog(this.db);
    this.stmt = {
      add: this.db.prepare(
        'INSERT OR IGNORE INTO checkpoints (size, note, signed_at_ms) VALUES (?, ?, ?)',
      ),
      latest: this.db.prepare<[], KeptCheckpoint>(
        'SELECT size, note, signed_at_ms AS signedAtMs FROM checkpoints ORDER BY size DESC LIMIT 1',
      ),
      atLeast: this.db.prepare<[number], KeptCheckpoint>(
        'SELECT size, note, signed_at_ms AS signedAtMs FROM checkpoints WHERE size >= ? ORDER BY size LIMIT 1',
      ),
      all: this.db.prepare<[], KeptCheckpoint>(
        'SELECT size, note, signed_at_ms AS signedAtMs FROM checkpoints ORDER BY size',
      ),
      page: this.db.prepare<[number, number], KeptCheckpoint>(
        'SELECT size, note, signed_at_ms AS signedAtMs FROM checkpoints WHERE size > ? ORDER BY size LIMIT ?',
      ),
    };
  }

  add(c: KeptCheckpoint): void {
    this.stmt.add.run(c.size, c.note, c.signedAtMs);
  }

  latest(): KeptCheckpoint | null {
    return this.stmt.latest.get() ?? null;
  }

  /** The smallest checkpoint covering a tree of at least `size` leaves. */
  covering(size: number): KeptCheckpoint | null {
    return this.stmt.atLeast.get(size) ?? null;
  }

  /** Every kept checkpoint, smallest first, read lazily. */
  all(): IterableIterator<KeptCheckpoint> {
    return this.stmt.all.iterate();
  }

  /** At most `limit` kept checkpoints of a size over `afterSize`, smallest first (a keyset page). */
  page(afterSize: number, limit: number): KeptCheckpoint[] {
    return this.stmt.page.all(afterSize, limit);
  }

  close(): void {
    this.db.close();
  }
}
