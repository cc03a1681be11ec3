import type { ThreadRevision, ThreadRow } from '../../projections/threadListQuery.js';
import { threadOnWire } from './threadWire.js';

/** How much JSON the cache keeps before it starts again (about 20,000 threads of 800 bytes). */
const MAX_CACHED_BYTES = 16 * 2 ** 20;

/**
 * Each listed thread's `Thread` as JSON (UTF-8 bytes), kept by its id and rev. The thread list bumps a row's rev
 * at each change, so an id and rev name one content of the row, and the JSON made of it stays
 * true: a rename, an archive or a newer rollout comes with another rev, and the JSON is made
 * again. Nothing to invalidate. Reading each row's columns and making its JSON were two thirds of
 * a list's time; a page of threads kept reads their ids and revs from an index, and joins.
 */
export class ThreadWireCache {
  private readonly entries = new Map<string, { rev: number; json: Buffer }>();
  private bytes = 0;

  /**
   * The JSON of each thread of a page, in its order. `rowsOf` reads the rows of the threads not
   * kept at their rev; it must read what the page was read from (one read transaction).
   */
  page(revisions: readonly ThreadRevision[], rowsOf: (ids: string[]) => ThreadRow[]): Buffer[] {
    const out: Buffer[] = [];
    const missing: string[] = [];
    for (const r of revisions) {
      const kept = this.entries.get(r.thread_id);
      if (kept !== undefined && kept.rev === r.rev) out.push(kept.json);
      else missing.push(r.thread_id);
    }
    if (missing.length === 0) return out;
    const made = new Map(rowsOf(missing).map((row) => [row.thread_id, this.make(row)]));
    return revisions.map((r) => {
      const json = made.get(r.thread_id) ?? this.entries.get(r.thread_id)?.json;
      if (json === undefined) throw new Error(`thread ${r.thread_id} was listed but has no row`);
      return json;
    });
  }

  private make(row: ThreadRow): Buffer {
    const json = Buffer.from(JSON.stringify(threadOnWire(row)));
    const kept = this.entries.get(row.thread_id);
    if (kept !== undefined) this.bytes -= kept.json.length;
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
}
