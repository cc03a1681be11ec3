import type { StoredEvent } from '../store/eventCodec.js';

/** A notice without payload: whoever listens reads what changed from the read models. */
export class Signal {
  private listeners = new Set<() => void>();

  /** Calls `listener` at every notice from now on; the returned function stops it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(): void {
    for (const l of this.listeners) l();
  }
}

/**
 * What the log says about deletions, told by the projection runner once a batch is committed to the
 * read models (so whoever is told finds it there), each event once. Every instance's runner reads
 * the whole log, so this hears a tombstone written by this process, by another process on the same
 * SQLite file, or by another instance on the EventStoreDB log alike.
 */
export class DeletionSignals {
  /** A thread was tombstoned: the deletion worker has work now, not at its next idle poll. */
  readonly requested = new Signal();
  /**
   * A thread's deletion completed (here or by another instance's worker): the read models dropped
   * its rows at the tombstone, and their WAL may still hold the old pages.
   */
  readonly completed = new Signal();

  /** A batch committed to the read models: notifies the signals it gives reason for. */
  heard(events: readonly StoredEvent[]): void {
    if (events.some((e) => e.event.type === 'ThreadDeleteRequested')) this.requested.notify();
    if (events.some((e) => e.event.type === 'ThreadDeleted')) this.completed.notify();
  }
}
