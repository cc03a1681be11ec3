import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';

export type StoredResponse = { status: number; body: unknown };

/**
 * Answers to commands sent with an `Idempotency-Key`, kept in SQLite beside the log so that a
 * retry after a restart still gets the first answer and appends nothing.
 */
export class IdempotencyStore {
  private readonly db: Database.Database;
  private readonly get;
  private readonly put;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      subject TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL, status INTEGER NOT NULL,
      body TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (subject, key)) WITHOUT ROWID`);
    this.get = this.db.prepare<[string, string], { request: string; status: number; body: string }>(
      'SELECT request, status, body FROM idempotency WHERE subject = ? AND key = ?',
    );
    this.put = this.db.prepare('INSERT OR IGNORE INTO idempotency (subject, key, request, status, body, at) VALUES (?, ?, ?, ?, ?, ?)');
  }

  static fingerprint(method: string, url: string, body: unknown): string {
    return createHash('sha256').update(`${method} ${url}\n${JSON.stringify(body ?? null)}`).digest('hex');
  }

  /** The first answer to this key, or null; 'mismatch' when the key was used for another request. */
  lookup(subject: string, key: string, fingerprint: string): StoredResponse | 'mismatch' | null {
    const row = this.get.get(subject, key);
    if (!row) return null;
    if (row.request !== fingerprint) return 'mismatch';
    return { status: row.status, body: JSON.parse(row.body) as unknown };
  }

  remember(subject: string, key: string, fingerprint: string, r: StoredResponse, at: number): void {
    this.put.run(subject, key, fingerprint, r.status, JSON.stringify(r.body), at);
  }

  close(): void {
    this.db.close();
  }
}
