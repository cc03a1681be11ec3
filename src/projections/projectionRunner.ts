import type Database from 'better-sqlite3';
import type { EventCodec, StoredEvent } from '../store/eventCodec.js';
import type { EventStore, RecordedEvent } from '../store/eventStore.js';
import { recordPagesOf } from '../store/recordPages.js';
import { BatchTransaction } from './batchTransaction.js';
import { Checkpoints } from './checkpoints.js';
import type { DeletionSignals } from './deletionSignals.js';
import { catchUpLog, LOG_PAGE } from './logCatchUp.js';
import { LogFollower } from './logFollower.js';
import { PositionWaiters } from './positionWaiters.js';
import type { Projection } from './projection.js';

export type ProjectionRunnerOptions = {
  /** The tables' suffix: a rebuild fills `_next` copies. */
  readonly suffix?: string;
  /** Told of the deletions each committed batch requested or completed. */
  readonly deletions?: DeletionSignals;
};

/**
 * Feeds projections from the global log, caught up on demand or followed live: each batch is
 * decoded, applied in one transaction with the checkpoints, then announced (deletion signals,
 * `onApplied` listeners) and the read-your-writes waiters woken.
 */
export class ProjectionRunner {
  private readonly checkpoints: Checkpoints;
  private readonly batch: BatchTransaction;
  private readonly waiters = new PositionWaiters();
  private readonly follower: LogFollower;
  private readonly deletions: DeletionSignals | undefined;
  private listeners: ((events: readonly StoredEvent[]) => void)[] = [];

  constructor(
    db: Database.Database,
    private readonly store: EventStore,
    private readonly codec: EventCodec,
    projections: readonly Projection[],
    opts: ProjectionRunnerOptions = {},
  ) {
    this.checkpoints = new Checkpoints(db);
    this.batch = new BatchTransaction(db, this.checkpoints, projections, opts.suffix);
    this.follower = new LogFollower(
      store,
      () => this.position(),
      (b) => this.apply(b),
    );
    this.deletions = opts.deletions;
  }

  /** The lowest checkpoint of the projections: where the log must be read from. */
  position(): bigint | null {
    return this.checkpoints.lowest(this.batch.names);
  }

  /** Calls `listener` with every batch applied from now on; the returned function stops it. Each event is heard once. */
  onApplied(listener: (events: readonly StoredEvent[]) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  private async apply(events: RecordedEvent[]): Promise<void> {
    if (events.length === 0) return;
    // Keys are fetched before the transaction: it holds the write lock and must not wait on I/O.
    const decoded = await this.codec.decodeMany(events);
    this.batch.apply(decoded, events);
    // A catch-up and the live subscription may apply overlapping batches: each event is told once.
    const seen = this.waiters.applied;
    const fresh = seen === null ? decoded : decoded.filter((e) => e.position > seen);
    if (fresh.length > 0) {
      this.deletions?.heard(fresh);
      for (const l of this.listeners) l(fresh);
    }
    this.waiters.reached(events[events.length - 1]!.position);
  }

  /**
   * Applies everything in the log up to its current end; returns the count applied.
   * `eventsPerTransaction`: how many events one transaction folds (a rebuild folds more).
   * `readAhead`: read through the store's `recordPages` (a worker reads and hashes ahead, worth
   * its start-up for a whole log), else page by page on this thread.
   */
  async catchUp(
    onProgress?: (applied: number, position: bigint) => void,
    eventsPerTransaction = LOG_PAGE,
    readAhead = false,
  ): Promise<number> {
    let count = 0;
    const after = this.position();
    const pages = readAhead ? this.store.recordPages(after) : recordPagesOf(this.store, after);
    await catchUpLog(pages, eventsPerTransaction, async (batch) => {
      await this.apply(batch);
      count += batch.length;
      onProgress?.(count, batch[batch.length - 1]!.position);
    });
    return count;
  }

  /** Follows the log live (see `LogFollower`) until `stop()`. */
  start(onError: (err: unknown) => void = (err) => console.error(err)): void {
    this.follower.start(onError);
  }

  /** Resolves once every event up to `position` is applied (read-your-writes). */
  waitFor(position: bigint): Promise<void> {
    return this.waiters.waitFor(position, () => this.position());
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }
}
