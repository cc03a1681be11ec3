import Database from 'better-sqlite3';

export type StoredResponse = { status: number; body: unknown };

/** How long an answer is kept for replay: retries come within minutes; a day is ample. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Answers to commands sent with an `Idempotency-Key`, kept in SQLite beside the log so that a
 * retry after a restart still gets the first answer and appends nothing. Kept for a day, then
 * forgotten: the table stays small, and the request fingerprints (hashes of bodies that may hold
 * a name) do not outlive the retries they serve.
 */
export class IdempotencyStore {
  private readonly db: Database.Database;
  private readonly get;
  private readonly put;
  private readonly reserveStmt;
  private readonly releaseStmt;
  private readonly expireStmt;
  private sweptAt = 0;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('secure_delete = ON'); // expired answers and fingerprints are zeroed, not left in free pages
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      subject TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL, status INTEGER NOT NULL,
      body TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (subject, key)) WITHOUT ROWID`);
    this.get = this.db.prepare<[string, string], { request: string; status: number; body: string }>(
      'SELECT request, status, body FROM idempotency WHERE subject = ? AND key = ?',
    );
    this.put = this.db.prepare('UPDATE idempotency SET status = ?, body = ? WHERE subject = ? AND key = ?');
    this.reserveStmt = this.db.prepare(
      "INSERT OR IGNORE INTO idempotency (subject, key, request, status, body, at) VALUES (?, ?, ?, 0, 'null', ?)",
    );
    this.releaseStmt = this.db.prepare('DELETE FROM idempotency WHERE subject = ? AND key = ? AND status = 0');
    this.expireStmt = this.db.prepare('DELETE FROM idempotency WHERE at < ?');
    // Reservations left by a process that died mid-request: no one is running them any more, and
    // a retry must not wait on them forever. (One instance owns this file.) A command whose
    // events did commit is found done in the log, where its events carry the key.
    this.db.exec('DELETE FROM idempotency WHERE status = 0');
  }

  /**
   * Takes the key for a request before running it, so that a concurrent retry cannot run it too.
   * 'reserved': run it, then `remember` (or `release` if it failed); a stored answer to replay;
   * 'mismatch': the key was used for another request; 'in-progress': the first is still running.
   */
  reserve(subject: string, key: string, fingerprint: string, at: number): 'reserved' | StoredResponse | 'mismatch' | 'in-progress' {
    // Expired answers go at most once a minute (a scan of the table), before they could be replayed.
    if (at - this.sweptAt > 60_000) {
      this.expireStmt.run(at - IDEMPOTENCY_RETENTION_MS);
      this.sweptAt = at;
    }
    if (this.reserveStmt.run(subject, key, fingerprint, at).changes === 1) return 'reserved';
    const row = this.get.get(subject, key)!;
    if (row.request !== fingerprint) return 'mismatch';
    if (row.status === 0) return 'in-progress';
    return { status: row.status, body: JSON.parse(row.body) as unknown };
  }

  remember(subject: string, key: string, r: StoredResponse): void {
    this.put.run(r.status, JSON.stringify(r.body), subject, key);
  }

  /** A request that failed leaves no answer behind: a retry runs it again. */
  release(subject: string, key: string): void {
    this.releaseStmt.run(subject, key);
  }

  close(): void {
    this.db.close();
  }
}
