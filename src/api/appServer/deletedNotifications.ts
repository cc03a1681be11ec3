import type { Ledger } from '../../app/ledger.js';

/**
 * `thread/deleted` for every thread whose deletion completes, once each, in the order of the log
 * (deepest first, root last): whether the client's own `thread/delete` finished it or a worker
 * did later, in this process or another. One subscription per transport (the stdio client; every
 * WebSocket client at once), not per request. Returns the function that stops it.
 */
export const notifyDeletedThreads = (
  ledger: Ledger,
  notify: (message: object) => void,
): (() => void) =>
  ledger.runner.onApplied((events) => {
    for (const { event } of events) {
      if (event.type === 'ThreadDeleted')
        notify({
          method: 'thread/deleted',
          params: { threadId: event.data.threadId },
          emittedAtMs: Date.now(),
        });
    }
  });
