import { parentPort } from 'node:worker_threads';
import { errorText } from '../app/deletion/stepExecutor.js';
import { purgeThreadRows, type TableRows } from './codexDatabases.js';

/** What the pool asks of a worker: one database purged of these threads' rows. */
export type PurgeRequest = {
  readonly job: number;
  readonly path: string;
  readonly threads: readonly { threadId: string; rolloutPaths: readonly string[] }[];
};

/** The rows deleted per thread, or why the purge failed (its message: the step records text). */
export type PurgeReply =
  | { readonly job: number; readonly rows: Map<string, TableRows[]> }
  | { readonly job: number; readonly error: string };

// The body of a worker thread of `CodexDatabasePool`: purgeThreadRows, one request at a time.
parentPort?.on('message', ({ job, path, threads }: PurgeRequest) => {
  let reply: PurgeReply;
  try {
    reply = { job, rows: purgeThreadRows(path, threads) };
  } catch (err) {
    reply = { job, error: errorText(err) };
  }
  parentPort!.postMessage(reply);
});
