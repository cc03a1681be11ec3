import type Database from 'better-sqlite3';
import type { EventCodec, StoredEvent } from '../store/eventCodec.js';
import type { EventStore, RecordedEvent, Subscription } from '../store/eventStore.js';
import type { Projection } from './projection.js';

const PAGE = 5000;

/**
 * Feeds projections from the global log. Every batch is applied in one transaction together with
 * each projection's checkpoint, read inside that transaction: an event is applied exactly once
 * even if another writer (a rebuild swapping tables in) moved the checkpoint meanwhile.
 */
export class ProjectionRunner {
  private readonly getCheckpoint;
  private readonly setCheckpoint;
  private readonly handlers: { name: string; apply: (e: StoredEvent) => void }[];
  private readonly applyBatch: Database.Transaction<(events: readonly StoredEvent[]) => void>;
  private applied: bigint | null = null;
  private waiters: { position: bigint; resolve: () => void }[] = [];
  private listeners: ((events: readonly StoredEvent[]) => void)[] = [];
  private sub: Subscription | null = null;
  private following = false;
  private loop: Promise<void> | null = null;

  constructor(
    db: Database.Database,
    private readonly store: EventStore,
    private readonly codec: EventCodec,
    projections: readonly Projection[],
    suffix = '',
  ) {
    this.getCheckpoint = db.prepare<[string], { position: number | null }>(
      'SELECT position FROM checkpoints WHERE name = ?',
    );
    this.setCheckpoint = db.prepare(
      // Never backwards: a catch-up and the live subscription may apply overlapping batches.
      'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = MAX(position, excluded.position)',
    );
    this.handlers = projections.map((p) => ({
      name: p.name + suffix,
      apply: p.handler(db, suffix),
    }));
    this.applyBatch = db.transaction((decoded: readonly StoredEvent[]) => {
      for (const h of this.handlers) {
        const from = this.checkpointOf(h.name);
        for (const e of decoded) if (from === null || e.position > from) h.apply(e);
        this.setCheckpoint.run(h.name, decoded[decoded.length - 1]!.position);
      }
    });
  }

  private checkpointOf(name: string): bigint | null {
    const row = this.getCheckpoint.get(name);
    return row?.position == null ? null : BigInt(row.position);
  }

  /** The lowest checkpoint of the projections: where the log must be read from. */
  position(): bigint | null {
    let min: bigint | undefined;
    for (const h of this.handlers) {
      const cp = this.checkpointOf(h.name);
      if (cp === null) return null;
      if (min === undefined || cp < min) min = cp;
    }
    return min ?? null;
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
    this.applyBatch.immediate(decoded); // immediate: a deferred one may not upgrade to a write while another process writes
    // A catch-up and the live subscription may apply overlapping batches: listeners hear each event once.
    const seen = this.applied;
    const fresh = seen === null ? decoded : decoded.filter((e) => e.position > seen);
    if (fresh.length > 0) for (const l of this.listeners) l(fresh);
    const last = events[events.length - 1]!.position;
    if (seen === null || last > seen) this.applied = last;
    const ready = this.waiters.filter((w) => w.position <= this.applied!);
    this.waiters = this.waiters.filter((w) => w.position > this.applied!);
    for (const w of ready) w.resolve();
  }

  /**
   * Applies everything in the log up to its current end; returns the count applied.
   * `eventsPerTransaction`: how many events one transaction folds (read in pages of 5,000).
   * Larger batches write each hot page once per batch rather than once per page: a rebuild
   * uses them; memory stays bounded by the batch, not by the log.
   */
  async catchUp(
    onProgress?: (applied: number, position: bigint) => void,
    eventsPerTransaction = PAGE,
  ): Promise<number> {
    let after = this.position();
    let count = 0;
    let batch: RecordedEvent[] = [];
    const flush = async () => {
      await this.apply(batch);
      count += batch.length;
      onProgress?.(count, batch[batch.length - 1]!.position);
      batch = [];
    };
    for (;;) {
      const page = await this.store.readAll({ after, maxCount: PAGE });
      if (page.length > 0) {
        batch = batch.length === 0 ? page : batch.concat(page);
        after = page[page.length - 1]!.position;
      }
      if (batch.length > 0 && (batch.length >= eventsPerTransaction || page.length < PAGE))
        await flush();
      if (page.length < PAGE) return count;
    }
  }

  /**
   * Follows the log: catch up, then apply each new event as it is committed. A batch that fails
   * (a busy database, an event that does not decode) is not skipped: the subscription is dropped
   * and taken again from the last committed checkpoint, with backoff.
   */
  start(onError: (err: unknown) => void = (err) => console.error(err)): void {
    if (this.loop) return;
    this.following = true;
    this.loop = (async () => {
      let delay = 100;
      while (this.following) {
        const failed = await this.follow(onError);
        if (!this.following) break;
        if (failed) {
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 5_000);
        } else delay = 100;
      }
    })().catch(onError);
  }

  /** One subscription, until it ends or a batch fails; says whether one failed. */
  private async follow(onError: (err: unknown) => void): Promise<boolean> {
    const sub = this.store.subscribeToAll({ after: this.position() });
    this.sub = sub;
    let buffer: RecordedEvent[] = [];
    let scheduled = false;
    let failed = false;
    // One batch applied at a time; what arrives meanwhile gathers in `buffer` and goes as the
    // next batch, so a slow apply (keys fetched from the key service) makes batches larger, not
    // a queue of small ones.
    let draining: Promise<void> | null = null;
    const drain = async () => {
      while (buffer.length > 0 && !failed) {
        const batch = buffer;
        buffer = [];
        try {
          await this.apply(batch);
        } catch (err) {
          failed = true;
          onError(err);
          void sub.stop();
        }
      }
    };
    const flush = (): Promise<void> => {
      scheduled = false;
      draining ??= drain().finally(() => {
        draining = null;
      });
      return draining;
    };
    try {
      for await (const e of sub) {
        if (failed) break;
        buffer.push(e);
        if (buffer.length >= PAGE)
          await flush(); // backpressure: read no further until applied
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      }
    } catch (err) {
      failed = true;
      onError(err);
    }
    // Until nothing is left: a drain ending just as the last events arrived may not take them.
    do await flush();
    while (buffer.length > 0 && !failed);
    return failed;
  }

  /** Resolves once every event up to `position` is applied (read-your-writes). */
  waitFor(position: bigint): Promise<void> {
    if (this.applied !== null && this.applied >= position) return Promise.resolve();
    const cp = this.position();
    if (cp !== null && cp >= position) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ position, resolve }));
  }

  async stop(): Promise<void> {
    this.following = false;
    await this.sub?.stop();
    await this.loop;
    this.sub = null;
    this.loop = null;
  }
}
