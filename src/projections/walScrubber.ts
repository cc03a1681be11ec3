import type Database from 'better-sqlite3';
import { type RetryPolicy, retryDelayMs } from '../domain/deletionProcess.js';
import { emptyWal } from '../io/sqliteWal.js';

/**
 * Empties a database's WAL into its file and truncates it, so that pages written before a
 * deletion (a deleted thread's name, in a row since removed) are left in no file. The file itself
 * never keeps them: every connection zeroes what it frees (secure_delete). A reader holding an
 * older snapshot (another process with read.db open) keeps the WAL from being emptied: then it is
 * tried again, backing off, until it goes through; `pending` says one is owed. Never blocks the
 * event loop waiting on that reader.
 */
export class WalScrubber {
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private owed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly retry: RetryPolicy = { baseMs: 50, capMs: 5_000 },
  ) {}

  get pending(): boolean {
    return this.owed;
  }

  /** A deletion completed: empty the WAL now, or as soon as readers let go. */
  request(): void {
    this.owed = true;
    if (this.timer === null) this.tryNow();
  }

  private tryNow(): void {
    if (!this.db.open) return;
    const busyTimeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    let done: boolean;
    try {
      done = emptyWal(this.db);
    } finally {
      this.db.pragma(`busy_timeout = ${busyTimeout}`);
    }
    if (done) {
      this.owed = false;
      this.attempt = 0;
      return;
    }
    this.attempt++;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (this.owed) this.tryNow();
      },
      retryDelayMs(this.attempt, this.retry),
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
