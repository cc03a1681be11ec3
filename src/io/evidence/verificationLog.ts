import type Database from 'better-sqlite3';

/** Who verified the log: `serve` in the background, or the `verify` command. */
export type VerifiedBy = 'serve' | 'cli';

/** One verification of the log against the signed checkpoints, as recorded. */
export type Verification = {
  readonly verifiedAtMs: number;
  readonly ok: boolean;
  /** Events read (0 when the verification stopped at a contradiction). */
  readonly events: number;
  readonly checkpoints: number;
  /** The largest tree a verified signature covers (0 when it failed). */
  readonly coveredSize: number;
  /** Why it failed; null when it passed. */
  readonly reason: string | null;
  readonly by: VerifiedBy;
};

/** The most verifications kept: every 10 minutes, about a week's worth. */
const KEPT = 1000;

/**
 * The verifications of the log, in `evidence.db` beside the checkpoints they checked (a rebuild of
 * read.db must not lose them). Only the last ones are kept: what a reviewer asks is how the latest
 * went.
 */
export class VerificationLog {
  private readonly stmt;

  constructor(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS verifications (
      id             INTEGER PRIMARY KEY AUTOINCREMENT,
      verified_at_ms INTEGER NOT NULL,
      ok             INTEGER NOT NULL,
      events         INTEGER NOT NULL,
      checkpoints    INTEGER NOT NULL,
      covered_size   INTEGER NOT NULL,
      reason         TEXT,
      by             TEXT    NOT NULL
    )`);
    this.stmt = {
      add: db.prepare(`INSERT INTO verifications
        (verified_at_ms, ok, events, checkpoints, covered_size, reason, by) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      trim: db.prepare(
        'DELETE FROM verifications WHERE id <= (SELECT MAX(id) FROM verifications) - ?',
      ),
      latest: db.prepare<[], Row>('SELECT * FROM verifications ORDER BY id DESC LIMIT 1'),
    };
  }

  record(v: Verification): void {
    this.stmt.add.run(
      v.verifiedAtMs,
      v.ok ? 1 : 0,
      v.events,
      v.checkpoints,
      v.coveredSize,
      v.reason,
      v.by,
    );
    this.stmt.trim.run(KEPT);
  }

  /** The last verification recorded, if any. */
  latest(): Verification | null {
    const r = this.stmt.latest.get();
    return r
      ? {
          verifiedAtMs: r.verified_at_ms,
          ok: r.ok === 1,
          events: r.events,
          checkpoints: r.checkpoints,
          coveredSize: r.covered_size,
          reason: r.reason,
          by: r.by,
        }
      : null;
  }
}

type Row = {
  verified_at_ms: number;
  ok: 0 | 1;
  events: number;
  checkpoints: number;
  covered_size: number;
  reason: string | null;
  by: VerifiedBy;
};
