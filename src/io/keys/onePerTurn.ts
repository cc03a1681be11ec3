/**
 * Coalesces calls made in the same turn of the event loop into one run over all their ids, and
 * gives every caller that run's result: one durable write (or one request) for many concurrent
 * commands, as the log's group commit does for appends.
 */
export const onePerTurn = <T>(
  run: (ids: string[]) => Promise<T> | T,
): ((ids: readonly string[]) => Promise<T>) => {
  let pending = new Set<string>();
  let waiting: { resolve: (t: T) => void; reject: (e: unknown) => void }[] = [];
  const flush = async () => {
    const ids = [...pending];
    const batch = waiting;
    pending = new Set();
    waiting = [];
    try {
      const result = await run(ids);
      for (const w of batch) w.resolve(result);
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  };
  return (ids) =>
    new Promise<T>((resolve, reject) => {
      for (const id of ids) pending.add(id);
      waiting.push({ resolve, reject });
      if (waiting.length === 1) setImmediate(() => void flush());
    });
};
