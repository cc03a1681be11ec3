import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { LogEntry } from '../../evidence/entry.js';
import { type EntryPageReply, type EntryPageRequest, entryPageWorker } from './entryPageWorker.js';
import { ENTRY_PAGE_BYTES, ENTRY_PAGE_BYTES_SQL, ENTRY_PAGE_SQL } from './entrySql.js';

/** Pages asked for ahead of the one being used: the worker reads while the caller hashes. */
const AHEAD = 2;

const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * The worker, from `entryPageWorker`'s own text: no module loader to start in the worker. Run
 * from the TypeScript sources, esbuild (tsx, vitest) may name functions through a `__name`
 * helper that the text does not carry: a no-op stands in for it.
 */
const workerOf = (): Worker =>
  new Worker(
    `var __name = (f) => f; (${entryPageWorker.toString()})(require(${JSON.stringify(sqlite)}), require('node:worker_threads').parentPort)`,
    { eval: true },
  );

/** A reply's entries, split back into one per event. */
const entriesOf = (reply: EntryPageReply): LogEntry[] => {
  const positions = reply.positions.split('\n');
  const entries = reply.entries.split('\n');
  if (positions.length !== reply.count || entries.length !== reply.count)
    throw new Error(
      `a page of ${reply.count} entries split into ${entries.length}: an entry holds a raw newline`,
    );
  return entries.map((entry, i) => ({ position: BigInt(positions[i]!), entry }));
};

/**
 * Every entry of events.db after `after`, read by a worker thread through its own read-only
 * connection, `AHEAD` pages ahead of the caller: reading the log (most of `verify`'s time) and
 * hashing it go on two cores. Ends where the log ends when the last page is read.
 */
export async function* readEntryPagesAhead(
  file: string,
  after: bigint | null,
  max: number,
  maxBytes = ENTRY_PAGE_BYTES,
): AsyncGenerator<readonly LogEntry[]> {
  const worker = workerOf();
  const replies: EntryPageReply[] = [];
  let wake: (() => void) | null = null;
  let failed: unknown = null;
  const arrived = () => {
    wake?.();
    wake = null;
  };
  worker.on('message', (r: EntryPageReply) => {
    replies.push(r);
    arrived();
  });
  worker.on('error', (e) => {
    failed = e;
    arrived();
  });
  const ask = (req: EntryPageRequest) => worker.postMessage(req);
  try {
    ask({
      kind: 'open',
      file,
      sql: ENTRY_PAGE_SQL,
      bytesSql: ENTRY_PAGE_BYTES_SQL,
      maxBytes,
      after: after === null ? 0 : Number(after),
      max,
    });
    for (let i = 0; i < AHEAD; i++) ask({ kind: 'next' });
    for (;;) {
      while (replies.length === 0 && failed === null)
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      if (failed !== null) throw failed;
      const reply = replies.shift()!;
      if (reply.error !== undefined) throw new Error(`reading the log: ${reply.error}`);
      if (reply.count === 0) return;
      ask({ kind: 'next' });
      yield entriesOf(reply);
    }
  } finally {
    await worker.terminate();
  }
}
