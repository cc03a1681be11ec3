import type Database from 'better-sqlite3';
import type { StoredEvent } from '../store/eventCodec.js';
import type { RecordedEvent } from '../store/eventStore.js';
import type { Checkpoints } from './checkpoints.js';
import { foldBatch, type Projection } from './projection.js';

/**
 * Applies a batch of decoded events to projections in one transaction together with each
 * projection's checkpoint, read inside that transaction: an event is applied exactly once even if
 * another writer (a rebuild swapping tables in, another process) moved the checkpoint meanwhile.
 */
export class BatchTransaction {
  /** The checkpoint names of the projections, with the tables' suffix. */
  readonly names: readonly string[];
  private readonly run: Database.Transaction<
    (events: readonly StoredEvent[], recorded: readonly RecordedEvent[]) => void
  >;

  constructor(
    db: Database.Database,
    checkpoints: Checkpoints,
    projections: readonly Projection[],
    suffix = '',
  ) {
    const handlers = projections.map((p) => ({
      name: p.name + suffix,
      apply: p.handler(db, suffix),
    }));
    this.names = handlers.map((h) => h.name);
    this.run = db.transaction(
      (events: readonly StoredEvent[], recorded: readonly RecordedEvent[]) => {
        for (const h of handlers) {
          foldBatch(h.apply, events, recorded, checkpoints.of(h.name));
          checkpoints.advance(h.name, events[events.length - 1]!.position);
        }
      },
    );
  }

  /** Applies a non-empty batch, in log order: each event decoded, and as recorded (same order). */
  apply(events: readonly StoredEvent[], recorded: readonly RecordedEvent[]): void {
    // Immediate: a deferred transaction may not upgrade to a write while another process writes.
    this.run.immediate(events, recorded);
  }
}
