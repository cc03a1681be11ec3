import type { Ledger } from '../../app/ledger.js';
import type { ThreadRevision, ThreadRow } from '../../projections/threadListQuery.js';
import { threadOnWire } from './threadWire.js';

/** How much JSON the cache keeps before it starts again (about 20,000 threads of 800 bytes). */
export const MAX_CACHED_BYTES = 16 * 2 ** 20;

/**
 * Each listed thread's `Thread` as JSON (UTF-8 bytes), kept by its id and rev. The thread list bumps
 * a row's rev at each change, so an id and rev name one content of the row, and the JSON made of
 * it stays true: a rename, an archive or a newer rollout comes with another rev, and the JSON is
 * made again. Nothing to invalidate. Reading each row's columns and making its JSON were two
 * thirds of a list's time; a page of threads kept reads their ids and revs from an index, and joins.
 */
export class ThreadWireCache {
  private readonly entries = new Map<string, { rev: number; json: Buffer }>();
  private bytes = 0;

  /**
   * The JSON of each thread of a page, in its order. `rowsOf` reads the rows of the threads not
   * kept at their rev; it must read what the page was read from (one read transaction): a row it
   * does not give, or gives at another rev, is refused.
   */
  page(revisions: readonly ThreadRevision[], rowsOf: (ids: string[]) => ThreadRow[]): Buffer[] {
    const out: (Buffer | undefined)[] = revisions.map((r) => {
      const kept = this.entries.get(r.thread_id);
      return kept !== undefined && kept.rev === r.rev ? kept.json : undefined;
    });
    const missing = revisions.filter((_, i) => out[i] === undefined).map((r) => r.thread_id);
    if (missing.length === 0) return out as Buffer[];
    const rows = new Map(rowsOf(missing).map((row) => [row.thread_id, row]));
    return revisions.map((r, i) => {
      const kept = out[i];
      if (kept !== undefined) return kept;
      const row = rows.get(r.thread_id);
      if (row === undefined || row.rev !== r.rev)
        throw new Error(
          `thread ${r.thread_id} was listed at rev ${r.rev} but its row was not read at it`,
        );
      return this.make(row);
    });
  }

  /** The JSON of each thread of a page when every one is kept at its rev; else null. */
  kept(revisions: readonly ThreadRevision[]): Buffer[] | null {
    const out: Buffer[] = [];
    for (const r of revisions) {
      const kept = this.entries.get(r.thread_id);
      if (kept === undefined || kept.rev !== r.rev) return null;
      out.push(kept.json);
    }
    return out;
  }

  /** A thread deleted: what the cache holds of it (its name, its preview) goes at once. */
  forget(threadId: string): void {
    const kept = this.entries.get(threadId);
    if (kept === undefined) return;
    this.entries.delete(threadId);
    this.bytes -= kept.json.length;
  }

  private make(row: ThreadRow): Buffer {
    const text = JSON.stringify(threadOnWire(row));
    // Its own memory, not a slice of Node's shared pool: a kept slice would keep 8 KiB alive.
    const json = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
    json.write(text);
    this.forget(row.thread_id);
    if (json.length > MAX_CACHED_BYTES) return json; // answered, not kept
    if (this.bytes + json.length > MAX_CACHED_BYTES) {
      this.entries.clear();
      this.bytes = 0;
    }
    this.entries.set(row.thread_id, { rev: row.rev, json });
    this.bytes += json.length;
    return json;
  }

  get size(): number {
    return this.entries.size;
  }

  get keptBytes(): number {
    return this.bytes;
  }
}

const perLedger = new WeakMap<Ledger, ThreadWireCache>();

/**
 * The one cache of a ledger, shared by every app-server on it (each WebSocket client has its own):
 * an id and rev name the same JSON for all. It hears each deletion as the read models apply it.
 */
export const threadWireCacheOf = (ledger: Ledger): ThreadWireCache => {
  let cache = perLedger.get(ledger);
  if (cache === undefined) {
    const made = new ThreadWireCache();
    ledger.runner.onApplied((events) => {
      for (const { event } of events)
        if (event.type === 'ThreadDeleteRequested') made.forget(event.data.threadId);
    });
    perLedger.set(ledger, made);
    cache = made;
  }
  return cache;
};
