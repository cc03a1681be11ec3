import type { EventStore, RecordedEvent, Subscription } from './eventStore.js';

const BATCH = 1000;

/**
 * A catch-up subscription built on `readAll`: reads everything after `after`, then waits for a
 * wake-up (an in-process append, a poll tick) and reads again. Used by stores without a push feed.
 */
export const followLog = (
  store: Pick<EventStore, 'readAll'>,
  after: bigint | null,
  listen: (wake: () => void) => () => void,
): Subscription => {
  let stopped = false;
  let wakeUp: (() => void) | null = null;
  const wake = () => {
    const w = wakeUp;
    wakeUp = null;
    w?.();
  };
  const unlisten = listen(wake);

  async function* iterate(): AsyncGenerator<RecordedEvent> {
    let cursor = after;
    try {
      while (!stopped) {
        const waiting = new Promise<void>((r) => (wakeUp = r));
        const batch = await store.readAll({ after: cursor, maxCount: BATCH });
        for (const e of batch) {
          if (stopped) return;
          yield e;
          cursor = e.position;
        }
        if (batch.length < BATCH) await waiting;
      }
    } finally {
      unlisten();
    }
  }

  const it = iterate();
  return {
    [Symbol.asyncIterator]: () => it,
    async stop() {
      stopped = true;
      wake();
      await it.return(undefined);
    },
  };
};
