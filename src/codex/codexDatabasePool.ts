import { lstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TableRows } from './codexDatabases.js';
import type { PurgeReply, PurgeRequest } from './codexDatabaseWorker.js';

/**
 * The worker's module beside this one: `.js` once built. Run from the TypeScript sources (vitest,
 * tsx), the `.ts` file, imported through tsx's API: a worker does not take tsx's loader from
 * `--import` in Node 20, and a `data:` module has no base to resolve `tsx` from, hence its path.
 */
const fromSources = import.meta.url.endsWith('.ts');
const WORKER = new URL(`./codexDatabaseWorker.${fromSources ? 'ts' : 'js'}`, import.meta.url);

const workerEntry = (): URL => {
  if (!fromSources) return WORKER;
  const tsx = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const api = pathToFileURL(join(tsx, 'dist/esm/api/index.mjs')).href;
  const code = `import { tsImport } from ${JSON.stringify(api)}; await tsImport(${JSON.stringify(WORKER.href)}, ${JSON.stringify(WORKER.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
};

type Job = {
  readonly request: PurgeRequest;
  /** Its file's bytes (and its WAL's): what its purge costs, about (VACUUM rewrites them all). */
  readonly bytes: number;
  readonly resolve: (rows: Map<string, TableRows[]>) => void;
  readonly reject: (err: Error) => void;
};

type Slot = { readonly worker: Worker; job: Job | null };

const sizeOf = (path: string): number => lstatSync(path, { throwIfNoEntry: false })?.size ?? 0;

/**
 * Purges Codex's databases each on a worker thread, as many at once as there are cores: a
 * database's purge (its row deletes, VACUUM, checkpoint) is synchronous SQLite work of up to a
 * second, which would otherwise hold the event loop and run the databases one after another.
 * Workers start on first use and stay, unreferenced while idle (they keep no process alive).
 */
export class CodexDatabasePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private next = 0;
  private dispatching = false;

  constructor(private readonly size = availableParallelism()) {}

  purge(path: string, threads: PurgeRequest['threads']): Promise<Map<string, TableRows[]>> {
    const bytes = sizeOf(path) + sizeOf(`${path}-wal`);
    return new Promise((resolve, reject) => {
      this.queue.push({ request: { job: this.next++, path, threads }, bytes, resolve, reject });
      // Dispatched once every purge asked for in this turn is queued: largest first, so that the
      // largest (state_5) does not start last, when the other workers are about to be done.
      if (!this.dispatching) {
        this.dispatching = true;
        queueMicrotask(() => {
          this.dispatching = false;
          this.dispatch();
        });
      }
    });
  }

  private dispatch(): void {
    this.queue.sort((a, b) => b.bytes - a.bytes);
    for (;;) {
      const job = this.queue[0];
      if (job === undefined) return;
      let slot = this.slots.find((s) => s.job === null);
      if (slot === undefined) {
        if (this.slots.length >= this.size) return;
        slot = this.start();
      }
      this.queue.shift();
      slot.job = job;
      slot.worker.ref(); // a purge under way keeps the process alive until it answers
      slot.worker.postMessage(job.request);
    }
  }

  private start(): Slot {
    const worker = new Worker(workerEntry());
    const slot: Slot = { worker, job: null };
    worker.on('message', (reply: PurgeReply) => {
      const job = slot.job;
      slot.job = null;
      worker.unref();
      if (job !== null && job.request.job === reply.job) {
        if ('error' in reply) job.reject(new Error(reply.error));
        else job.resolve(reply.rows);
      }
      this.dispatch();
    });
    // A worker that dies (out of memory, a crash in SQLite) fails its purge, which is retried.
    const died = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      slot.job?.reject(err);
      slot.job = null;
      this.dispatch();
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`the database purge worker exited (${code})`)));
    this.slots.push(slot);
    return slot;
  }

  /** Stops the workers; a purge under way fails (and is retried by the next pass). */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
