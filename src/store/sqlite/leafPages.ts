import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { LeafPage } from '../../evidence/merkle.js';
import type { LeafPageData, LeafRange } from './entryLeafWorker.js';

/** Positions a worker hashes per request. */
const SPAN = 8192;

/**
 * The worker module beside this one: compiled JavaScript, or, run from the TypeScript sources
 * (specs, the bench), the .ts module through tsx's loader, which a worker does not inherit.
 */
const workerOf = (): Worker => {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./entryLeafWorker.js', import.meta.url));
  const url = JSON.stringify(new URL('./entryLeafWorker.ts', import.meta.url).href);
  return new Worker(
    `import('tsx/esm/api').then(({ register }) => { register(); return import(${url}); })`,
    { eval: true },
  );
};

/** Sends ranges to a worker, answered in the order sent. */
class LeafWorker {
  private readonly worker = workerOf();
  private readonly waiting: { resolve: (p: LeafPageData) => void; reject: (e: unknown) => void }[] =
    [];

  constructor() {
    this.worker.on('message', (p: LeafPageData) => this.waiting.shift()?.resolve(p));
    this.worker.on('error', (e) => {
      for (const w of this.waiting.splice(0)) w.reject(e);
    });
  }

  hash(range: LeafRange): Promise<LeafPageData> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(range);
    });
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * The evidence leaves of events.db after `after`, in log order, hashed by worker threads (one per
 * core, up to 4), each reading its own ranges of positions through its own read-only connection:
 * `verify` on the embedded store goes as fast as the cores read and hash. Events appended after
 * it starts are not read.
 */
export async function* readLeafPages(
  file: string,
  after: bigint | null,
  workers = Math.min(4, availableParallelism()),
): AsyncGenerator<LeafPage> {
  const probe = new Database(file, { readonly: true, fileMustExist: true });
  const head =
    (probe.prepare('SELECT MAX(position) FROM events').pluck().get() as number | null) ?? 0;
  probe.close();
  const pool = Array.from({ length: workers }, () => new LeafWorker());
  try {
    let next = after === null ? 0 : Number(after);
    let turn = 0;
    const submit = () => {
      const from = next;
      next += SPAN;
      return pool[turn++ % pool.length]!.hash({ file, from, to: next });
    };
    const inFlight: Promise<LeafPageData>[] = [];
    while (inFlight.length < 2 * pool.length && next < head) inFlight.push(submit());
    while (inFlight.length > 0) {
      const page = await inFlight.shift()!;
      if (next < head) inFlight.push(submit());
      const leaves = [];
      for (let i = 0; i < page.positions.length; i++)
        leaves.push(page.hashes.subarray(i * 32, i * 32 + 32));
      yield { positions: Array.from(page.positions, (p) => BigInt(p)), leaves };
    }
  } finally {
    await Promise.all(pool.map((w) => w.stop()));
  }
}
