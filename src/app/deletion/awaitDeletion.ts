import type { ThreadId } from '../../domain/ids.js';
import type { Ledger } from '../ledger.js';
import type { PassResult } from './deletionWorker.js';

export type DeletionSettled = {
  /** deleted: every thread asked for is deleted; failing: a step failed and waits for its retry; pending: out of time. */
  readonly status: 'deleted' | 'failing' | 'pending';
  /** The failing steps, `<thread>: <last error>`. */
  readonly errors: string[];
};

export type AwaitOptions = {
  /** Give up (pending) at this time, by the ledger's clock. */
  readonly giveUpAtMs: number;
  /** Give up (pending) when nothing moved for this long: another worker holds the steps and is not finishing them. */
  readonly patienceMs?: number;
  readonly clock?: () => number;
  /** Told of every pass that recorded something: progress, for whoever is watching. */
  readonly onProgress?: (pass: PassResult) => void;
};

/** How often to look again while another worker (another process, the background loop) is mid-way. */
const POLL_MS = 10;

/**
 * The one "wait until this deletion is done", for HTTP `?wait`, the app-server's `thread/delete`
 * and `worker --until-idle`: drives this process's worker pass after pass (taking turns with its
 * background loop, never racing it) until every thread named (`null`: every pending deletion) is
 * deleted, a step of theirs fails, or time runs out.
 */
export const awaitDeletion = async (
  ledger: Pick<Ledger, 'runner' | 'workerLoop' | 'queries'>,
  threadIds: readonly ThreadId[] | null,
  opts: AwaitOptions,
): Promise<DeletionSettled> => {
  const clock = opts.clock ?? Date.now;
  let lastProgress = clock();
  let lastPosition = ledger.runner.position();
  for (;;) {
    const pass = await ledger.workerLoop.runPass();
    if (pass.recorded > 0) opts.onProgress?.(pass);
    await ledger.runner.catchUp();
    const records = (threadIds ?? ledger.queries.pendingDeletions(Number.MAX_SAFE_INTEGER)).map(
      (id) => [id, ledger.queries.deletion(id)?.record ?? null] as const,
    );
    if (records.every(([, r]) => r?.status === 'deleted')) return { status: 'deleted', errors: [] };
    const now = clock();
    // Progress is the log moving, by this worker or another one (another process on the same
    // deletion appends what this one then finds done): only a still log runs out of patience.
    const position = ledger.runner.position();
    if (pass.recorded > 0 || position !== lastPosition) {
      lastProgress = now;
      lastPosition = position;
      if (pass.recorded > 0) continue;
    }
    const errors = records.flatMap(([id, r]) =>
      r?.status === 'failing' ? [`${id}: ${r.last_error}`] : [],
    );
    if (errors.length > 0) return { status: 'failing', errors };
    if (
      now >= opts.giveUpAtMs ||
      (opts.patienceMs !== undefined && now - lastProgress > opts.patienceMs)
    ) {
      return { status: 'pending', errors: [] };
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
};
