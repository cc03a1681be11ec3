import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type LeafPage, storedHashIndex, treeHash } from '../../evidence/merkle.js';
import { nodeEvidenceCrypto, nodeTreeHasher } from '../../io/evidence/nodeEvidenceCrypto.js';
import type { LeafPageData, LeafRange } from './entryLeafWorker.js';

/** Leaves per block: 2^LEVEL, an aligned subtree hashed whole by one worker. */
const LEVEL = 13;
const BLOCK = 2 ** LEVEL;

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
 * The evidence leaves of events.db in log order, hashed by worker threads (one per core, up to
 * 4), each taking aligned blocks of 8,192 leaves through its own read-only connection and
 * hashing each block's whole subtree: `verify` then folds one root a block, and reads any
 * checkpoint's root inside a block from the block's stored hashes. Events appended after it
 * starts are not read. Only from the start of the log (`after` null): blocks are aligned there.
 */
export async function* readLeafPages(
  file: string,
  after: bigint | null,
  workers = Math.min(4, availableParallelism()),
): AsyncGenerator<LeafPage> {
  if (after !== null) throw new Error('readLeafPages reads from the start of the log');
  const probe = new Database(file, { readonly: true, fileMustExist: true });
  const positions = probe
    .prepare<[], number>('SELECT position FROM events ORDER BY position')
    .pluck()
    .all();
  probe.close();
  const pool = Array.from({ length: Math.max(1, workers) }, () => new LeafWorker());
  try {
    let next = 0;
    let turn = 0;
    const submit = () => {
      const start = next;
      const end = Math.min(start + BLOCK, positions.length);
      next = end;
      const range = {
        file,
        first: positions[start]!,
        last: positions[end - 1]!,
        count: end - start,
      };
      return pool[turn++ % pool.length]!.hash(range);
    };
    const inFlight: Promise<LeafPageData>[] = [];
    while (inFlight.length < 2 * pool.length && next < positions.length) inFlight.push(submit());
    while (inFlight.length > 0) {
      const page = await inFlight.shift()!;
      if (next < positions.length) inFlight.push(submit());
      const stored = (i: number) => page.stored.subarray(i * 32, i * 32 + 32);
      const leaves = Array.from(page.positions, (_, i) => stored(storedHashIndex(0, i)));
      const read = (indexes: readonly number[]) => indexes.map(stored);
      yield {
        positions: Array.from(page.positions, (p) => BigInt(p)),
        leaves,
        block: {
          level: LEVEL,
          prefixRoot: (size) => treeHash(nodeTreeHasher, nodeEvidenceCrypto, size, read),
        },
      };
    }
  } finally {
    await Promise.all(pool.map((w) => w.stop()));
  }
}
