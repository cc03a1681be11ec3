import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import Database from 'better-sqlite3';

export type StoredResponse = { status: number; body: unknown };

/** How long an answer is kept for replay: retries come within minutes; a day is ample. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Fingerprints are MACs under a key of the hour the request came in. An hour's key is destroyed
 * once every answer of that hour has expired: a key outlives its answers by an hour at most.
 */
export const FINGERPRINT_KEY_PERIOD_MS = 60 * 60 * 1000;

const periodOf = (at: number) => Math.floor(at / FINGERPRINT_KEY_PERIOD_MS);

/**
 * Answers to commands sent with an `Idempotency-Key`, kept in SQLite beside the log so that a
 * retry after a restart still gets the first answer and appends nothing. Kept for a day, then
 * forgotten: the table stays small.
 *
 * What identifies the request (its body may hold a name) is kept only as an HMAC-SHA-256 under
 * a random key of the hour, stored here too and destroyed (zeroed: `secure_delete`, and the WAL
 * truncated) once that hour's answers have expired. No plain hash of a body is ever written, so
 * once the key is gone a name guessed after a deletion cannot be confirmed from the file.
 */
export class IdempotencyStore {
  private readonly db: Database.Database;
  private readonly get;
  private readonly put;
  private readonly reserveStmt;
  private readonly releaseStmt;
  private readonly expireStmt;
  private readonly keyGet;
  private readonly keyPut;
  private readonly keysExpire;
  private readonly keys = new Map<number, Buffer>();
  private sweptAt = 0;
  private readonly timer: NodeJS.Timeout | null = null;

  /**
   * `clock`: sweep expired answers and keys at open and every minute by it, whether or not keyed
   * requests come (without it, only `reserve` sweeps, by the times it is given).
   */
  constructor(file: string, opts: { clock?: () => number } = {}) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    // Expired answers, fingerprints and keys are zeroed, not left in free pages.
    this.db.pragma('secure_delete = ON');
    const keyed =
      this.db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fingerprint_keys'")
        .get() !== undefined;
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      subject TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL, status INTEGER NOT NULL,
      body TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (subject, key)) WITHOUT ROWID`);
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS fingerprint_keys (period INTEGER PRIMARY KEY, key BLOB NOT NULL)',
    );
    if (!keyed) {
      // A file from before keyed fingerprints holds plain SHA-256 digests of bodies: they go
      // (a retry of one of those commands is still found done in the log, by its key).
      this.db.exec('DELETE FROM idempotency');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    }
    this.get = this.db.prepare<
      [string, string],
      { request: string; status: number; body: string; at: number }
    >('SELECT request, status, body, at FROM idempotency WHERE subject = ? AND key = ?');
    this.put = this.db.prepare(
      'UPDATE idempotency SET status = ?, body = ? WHERE subject = ? AND key = ?',
    );
    this.reserveStmt = this.db.prepare(
      'INSERT OR IGNORE INTO idempotency (subject, key, request, status, body, at) ' +
        "VALUES (?, ?, ?, 0, 'null', ?)",
    );
    this.releaseStmt = this.db.prepare(
      'DELETE FROM idempotency WHERE subject = ? AND key = ? AND status = 0',
    );
    this.expireStmt = this.db.prepare('DELETE FROM idempotency WHERE at < ?');
    this.keyGet = this.db.prepare<[number], { key: Buffer }>(
      'SELECT key FROM fingerprint_keys WHERE period = ?',
    );
    this.keyPut = this.db.prepare(
      'INSERT OR IGNORE INTO fingerprint_keys (period, key) VALUES (?, ?)',
    );
    this.keysExpire = this.db.prepare('DELETE FROM fingerprint_keys WHERE period < ?');
    // Reservations left by a process that died mid-request: no one is running them any more, and
    // a retry must not wait on them forever. (One instance owns this file.) A command whose
    // events did commit is found done in the log, where its events carry the key.
    this.db.exec('DELETE FROM idempotency WHERE status = 0');
    const clock = opts.clock;
    if (clock) {
      this.sweep(clock());
      this.timer = setInterval(() => this.sweep(clock()), 60_000);
      this.timer.unref();
    }
  }

  /** The key of a period: made (random, 32 bytes) for the current one; null once destroyed. */
  private keyOf(period: number, make: boolean): Buffer | null {
    const cached = this.keys.get(period);
    if (cached) return cached;
    if (make) this.keyPut.run(period, randomBytes(32));
    const row = this.keyGet.get(period);
    if (!row) return null;
    this.keys.set(period, row.key);
    return row.key;
  }

  private fingerprint(key: Buffer, request: string): string {
    return createHmac('sha256', key).update(request).digest('base64url');
  }

  /** Forgets the answers past their retention, then the keys of the periods none is left from. */
  private sweep(at: number): void {
    const oldest = at - IDEMPOTENCY_RETENTION_MS;
    this.expireStmt.run(oldest);
    // Every answer of a period before the oldest kept one's has gone: so goes that period's key.
    const keep = periodOf(oldest);
    if (this.keysExpire.run(keep).changes > 0) {
      for (const [period, key] of this.keys) {
        if (period < keep) {
          key.fill(0);
          this.keys.delete(period);
        }
      }
      // The key's pages are zeroed in the file (secure_delete); its frames go from the WAL.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    }
    this.sweptAt = at;
  }

  /**
   * Takes the key for a request before running it, so that a concurrent retry cannot run it too.
   * `request` is the request's canonical text (see `requestText`); only its MAC is kept.
   * 'reserved': run it, then `remember` (or `release` if it failed); a stored answer to replay;
   * 'mismatch': the key was used for another request; 'in-progress': the first is still running.
   */
  reserve(
    subject: string,
    key: string,
    request: string,
    at: number,
  ): 'reserved' | StoredResponse | 'mismatch' | 'in-progress' {
    // Expired answers (and keys) go at most once a minute (a scan of the table), before they
    // could be replayed.
    if (at - this.sweptAt > 60_000) this.sweep(at);
    const fp = this.fingerprint(this.keyOf(periodOf(at), true)!, request);
    if (this.reserveStmt.run(subject, key, fp, at).changes === 1) return 'reserved';
    const row = this.get.get(subject, key)!;
    const then = this.keyOf(periodOf(row.at), false);
    if (then === null) {
      // Its key is gone, so its answer has expired too: forgotten, and taken afresh.
      this.db.prepare('DELETE FROM idempotency WHERE subject = ? AND key = ?').run(subject, key);
      return this.reserve(subject, key, request, at);
    }
    const given = Buffer.from(this.fingerprint(then, request));
    const kept = Buffer.from(row.request);
    const same = kept.length === given.length && timingSafeEqual(kept, given);
    if (!same) return 'mismatch';
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
    if (this.timer) clearInterval(this.timer);
    for (const key of this.keys.values()) key.fill(0);
    this.keys.clear();
    this.db.close();
  }
}
