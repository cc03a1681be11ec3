import type { LogEntry } from '../../evidence/entry.js';
import { ENTRY_PAGE_BYTES, ENTRY_PAGE_BYTES_SQL, ENTRY_PAGE_SQL } from './entrySql.js';
import { pagesAhead } from './pagesAhead.js';
import type { PageReply } from './pageWorker.js';

/** A reply's entries, split back into one per event. */
const entriesOf = (reply: PageReply): LogEntry[] => {
  const [positionsText, entriesText] = reply.columns as [string | null, string | null];
  const positions = (positionsText ?? '').split('\n');
  const entries = (entriesText ?? '').split('\n');
  if (positions.length !== reply.count || entries.length !== reply.count)
    throw new Error(
      `a page of ${reply.count} entries split into ${entries.length}: an entry holds a raw newline`,
    );
  return entries.map((entry, i) => ({ position: BigInt(positions[i]!), entry }));
};

/**
 * Every entry of events.db after `after`, read by a worker thread ahead of the caller (see
 * `pagesAhead`): reading the log (most of `verify`'s time) and hashing it go on two cores.
 */
export async function* readEntryPagesAhead(
  file: string,
  after: bigint | null,
  max: number,
  maxBytes = ENTRY_PAGE_BYTES,
): AsyncGenerator<readonly LogEntry[]> {
  const pages = pagesAhead({
    file,
    sql: ENTRY_PAGE_SQL,
    bytesSql: ENTRY_PAGE_BYTES_SQL,
    maxBytes,
    after: after === null ? 0 : Number(after),
    max,
  });
  for await (const reply of pages) yield entriesOf(reply);
}
