import type { Signal } from '../../projections/deletionSignals.js';
import type { Clock } from '../clock.js';
import type { DeletionWorker, PassResult } from './deletionWorker.js';

export type WorkerLoopOptions = {
  /**
   * The notice of a new tombstone (the read models' `DeletionSignals.requested`): it wakes the
   * loop while it runs, so a deletion starts at once rather than at the next idle poll.
   */
  readonly wakeOn?: Signal;
  readonly idleMs?: number;
  readonly onPass?: (r: PassResult) => void;
  readonly onError?: (err: unknown) => void;
};

/**
 * Runs the deletion worker for as long as the service runs: pass after pass while there is
 * progress, then sleeps until the earliest backoff, the idle poll, or a wake-up (a new tombstone,
 * told by `wakeOn` or a caller's `wake()`).
 */
export class WorkerLoop {
  private readonly wakeOn: Signal | undefined;
  private readonly idleMs: number;
  private readonly onPass: (r: PassResult) => void;
  private readonly onError: (err: unknown) => void;
  private unsubscribe: (() => void) | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private lock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly worker: DeletionWorker,
    private readonly clock: Clock,
    opts: WorkerLoopOptions = {},
  ) {
    this.wakeOn = opts.wakeOn;
    this.idleMs = opts.idleMs ?? 1000;
    this.onPass = opts.onPass ?? (() => {});
    this.onError = opts.onError ?? ((err) => console.error('deletion worker:', err));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.wakeOn?.subscribe(() => this.wake()) ?? null;
    this.loop = this.run();
  }

  /**
   * One pass, never at the same time as another pass of this loop: a caller that drives a deletion
   * to its end (thread/delete) and the background loop take turns instead of racing each other.
   */
  runPass(): Promise<PassResult> {
    const run = this.lock.then(() => this.worker.runPass());
    this.lock = run.catch(() => undefined);
    return run;
  }

  wake(): void {
    this.woken = true;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let sleepMs = this.idleMs;
      try {
        const r = await this.runPass();
        this.onPass(r);
        if (r.recorded > 0) continue;
        if (r.retryAtMs !== null)
          sleepMs = Math.max(0, Math.min(sleepMs, r.retryAtMs - this.clock()));
      } catch (err) {
        this.onError(err);
      }
      if (!this.running) break;
      if (this.woken) continue;
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        this.timer = setTimeout(resolve, sleepMs);
      });
      if (this.timer) clearTimeout(this.timer);
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.running = false;
    this.wake();
    await this.loop;
  }
}
