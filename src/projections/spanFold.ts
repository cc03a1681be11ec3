import type Database from 'better-sqlite3';
import type { EventCodec } from '../store/eventCodec.js';
import type { RecordedEvent } from '../store/eventStore.js';
import { Checkpoints } from './checkpoints.js';
import { foldEvents, type Projection } from './projection.js';

/**
 * Folds the log into a rebuild's fresh tables a span of many pages at a time: each fold step's
 * `begin` at the span's first page, its events page by page as they are read, and its `end` (the
 * rows written, last write winning) with the checkpoints in one transaction at the span's last.
 * A thread's events spread over the log meet in one span: its rows are written once a span, not
 * once a batch. Sound for tables with no other writer (a rebuild's `_next`): nothing is written
 * before the span's transaction (rows are kept in memory, see `KeyedRows`, `RowBuffer`), and a
 * failure mid-span ends the rebuild with the span's rows unwritten, its checkpoint where it was.
 * Memory is bounded by the span, never the log: what the folds keep is at most a row per event.
 */
export class SpanFold {
  private readonly checkpoints: Checkpoints;
  private readonly folds: {
    readonly name: string;
    readonly fold: ReturnType<Projection['handler']>;
  }[];
  private readonly commit: Database.Transaction<(last: bigint) => void>;

  constructor(
    db: Database.Database,
    private readonly codec: EventCodec,
    projections: readonly Projection[],
    suffix: string,
  ) {
    this.checkpoints = new Checkpoints(db);
    this.folds = projections.map((p) => ({ name: p.name + suffix, fold: p.handler(db, suffix) }));
    this.commit = db.transaction((last: bigint) => {
      for (const f of this.folds) {
        f.fold.end?.();
        this.checkpoints.advance(f.name, last);
      }
    });
  }

  /** Where the log must be read from: the lowest checkpoint of the folds. */
  position(): bigint | null {
    return this.checkpoints.lowest(this.folds.map((f) => f.name));
  }

  /**
   * Folds `pages` (read from `position()`) in spans of at least `spanEvents` events (the last
   * may be smaller); returns the count folded. `onSpan` hears each committed span.
   */
  async run(
    pages: AsyncIterable<readonly RecordedEvent[]>,
    spanEvents: number,
    onSpan?: (applied: number, position: bigint) => void,
  ): Promise<number> {
    let applied = 0;
    let inSpan = 0;
    let last: bigint | null = null;
    let after: (bigint | null)[] | null = null; // each fold's checkpoint at the span's start
    const close = () => {
      if (last === null || inSpan === 0) return;
      // Immediate: a deferred transaction may not upgrade to a write while another process writes.
      this.commit.immediate(last);
      applied += inSpan;
      inSpan = 0;
      after = null;
      onSpan?.(applied, last);
    };
    for await (const page of pages) {
      if (page.length === 0) continue;
      if (after === null) {
        after = this.folds.map((f) => this.checkpoints.of(f.name));
        for (const f of this.folds) f.fold.begin?.();
      }
      const decoded = await this.codec.decodeMany(page);
      for (let i = 0; i < this.folds.length; i++)
        foldEvents(this.folds[i]!.fold, decoded, page, after[i]!);
      inSpan += page.length;
      last = page[page.length - 1]!.position;
      if (inSpan >= spanEvents) close();
    }
    close();
    return applied;
  }
}
