/**
 * Polls `what` (sync or async) every 25 ms until it gives a truthy value, and returns it; throws
 * after `ms` (10 s by default), naming what was awaited.
 */
export const until = async <T>(
  what: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  ms = 10_000,
  awaited = 'a condition',
): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${awaited}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
