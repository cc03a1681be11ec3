import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { type PageReply, type PageRequest, pageWorker } from './pageWorker.js';

/** Pages asked for ahead of the one being used: the worker reads while the caller works. */
const AHEAD = 2;

const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * The worker, from `pageWorker`'s own text: no module loader to start in the worker. Run from
 * the TypeScript sources, esbuild (tsx, vitest) may name functions through a `__name` helper
 * that the text does not carry: a no-op stands in for it.
 */
const workerOf = (): Worker =>
  new Worker(
    `var __name = (f) => f; (${pageWorker.toString()})(require(${JSON.stringify(sqlite)}), require('node:crypto').hash, require('node:worker_threads').parentPort)`,
    { eval: true },
  );

/**
 * Every page of events.db after `after` as `open.sql` reads it, read by a worker thread through
 * its own read-only connection, `AHEAD` pages ahead of the caller: reading the log and using it
 * go on two cores. Ends where the log ends when the last page is read.
 */
export async function* pagesAhead(
  open: Omit<Extract<PageRequest, { kind: 'open' }>, 'kind'>,
): AsyncGenerator<PageReply> {
  const worker = workerOf();
  const replies: PageReply[] = [];
  let wake: (() => void) | null = null;
  let failed: unknown = null;
  const arrived = () => {
    wake?.();
    wake = null;
  };
  worker.on('message', (r: PageReply) => {
    replies.push(r);
    arrived();
  });
  worker.on('error', (e) => {
    failed = e;
    arrived();
  });
  const ask = (req: PageRequest) => worker.postMessage(req);
  try {
    ask({ kind: 'open', ...open });
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
      yield reply;
    }
  } finally {
    await worker.terminate();
  }
}
