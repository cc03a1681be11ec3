import type { EventStore, RecordedEvent, Subscription } from '../store/eventStore.js';
import { LOG_PAGE } from './logCatchUp.js';

type Apply = (batch: RecordedEvent[]) => Promise<void>;

/**
 * Follows the log live: subscribes from where the read models stand and applies each new event as
 * it is committed. A batch that fails (a busy database, an event that does not decode) is not
 * skipped: the subscription is dropped and taken again from the last committed checkpoint, with
 * backoff.
 */
export class LogFollower {
  private sub: Subscription | null = null;
  private following = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly store: Pick<EventStore, 'subscribeToAll'>,
    /** Where to subscribe from: read again at every (re)subscription. */
    private readonly from: () => bigint | null,
    private readonly apply: Apply,
  ) {}

  start(onError: (err: unknown) => void): void {
    if (this.loop) return;
    this.following = true;
    this.loop = (async () => {
      let delay = 100;
      while (this.following) {
        const failed = await this.follow(onError);
        if (!this.following) break;
        if (failed) {
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 5_000);
        } else delay = 100;
      }
    })().catch(onError);
  }

  /** One subscription, until it ends or a batch fails; says whether one failed. */
  private async follow(onError: (err: unknown) => void): Promise<boolean> {
    const sub = this.store.subscribeToAll({ after: this.from() });
    this.sub = sub;
    let buffer: RecordedEvent[] = [];
    let scheduled = false;
    let failed = false;
    // One batch applied at a time; what arrives meanwhile gathers in `buffer` and goes as the
    // next batch, so a slow apply (keys fetched from the key service) makes batches larger, not
    // a queue of small ones.
    let draining: Promise<void> | null = null;
    const drain = async () => {
      while (buffer.length > 0 && !failed) {
        const batch = buffer;
        buffer = [];
        try {
          await this.apply(batch);
        } catch (err) {
          failed = true;
          onError(err);
          void sub.stop();
        }
      }
    };
    const flush = (): Promise<void> => {
      scheduled = false;
      draining ??= drain().finally(() => {
        draining = null;
      });
      return draining;
    };
    try {
      for await (const e of sub) {
        if (failed) break;
        buffer.push(e);
        if (buffer.length >= LOG_PAGE)
          await flush(); // backpressure: read no further until applied
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      }
    } catch (err) {
      failed = true;
      onError(err);
    }
    // Until nothing is left: a drain ending just as the last events arrived may not take them.
    do await flush();
    while (buffer.length > 0 && !failed);
    return failed;
  }

  async stop(): Promise<void> {
    this.following = false;
    await this.sub?.stop();
    await this.loop;
    this.sub = null;
    this.loop = null;
  }
}
