import type { RecordedEvent } from '../eventStore.js';
import { ENTRY_PAGE_BYTES, ENTRY_PAGE_BYTES_SQL, RECORD_PAGE_SQL } from './entrySql.js';
import { pagesAhead } from './pagesAhead.js';
import type { PageReply } from './pageWorker.js';

type Row = [number, string, number, string, string, unknown, unknown];

/** A reply's events: its JSON array parsed at once, each with its leaf hash from the worker. */
const recordsOf = (reply: PageReply): RecordedEvent[] => {
  const rows = JSON.parse(reply.columns[0] as string) as Row[];
  const leaves = Buffer.from(reply.leaves!.buffer, reply.leaves!.byteOffset, reply.leaves!.length);
  if (rows.length !== reply.count || leaves.length !== 32 * reply.count)
    throw new Error(`a page of ${reply.count} events read as ${rows.length}`);
  const out = new Array<RecordedEvent>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [position, streamId, revision, id, type, data, metadata] = rows[i]!;
    out[i] = {
      id,
      streamId,
      type,
      revision: BigInt(revision),
      position: BigInt(position),
      data,
      metadata,
      leafHash: leaves.subarray(32 * i, 32 * i + 32),
    };
  }
  return out;
};

/**
 * Every event of events.db after `after`, each with its evidence leaf hash, read, parsed into a
 * page's JSON and hashed by a worker thread ahead of the caller (see `pagesAhead`): what a
 * rebuild folds, the log's reading and hashing on the other core.
 */
export async function* readRecordPagesAhead(
  file: string,
  after: bigint | null,
  max: number,
  maxBytes = ENTRY_PAGE_BYTES,
): AsyncGenerator<readonly RecordedEvent[]> {
  const pages = pagesAhead({
    file,
    sql: RECORD_PAGE_SQL,
    bytesSql: ENTRY_PAGE_BYTES_SQL,
    maxBytes,
    after: after === null ? 0 : Number(after),
    max,
    hashColumn: 1,
  });
  for await (const reply of pages) {
    if (((reply.columns[2] as number | null) ?? 0) > 0)
      throw new Error('reading the log: an event holds data or metadata that is not JSON');
    yield recordsOf(reply);
  }
}
