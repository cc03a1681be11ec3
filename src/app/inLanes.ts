/**
 * Runs `run` on every item, at most `width` at once: each lane takes the next item as it ends, so
 * one slow item holds one lane, not a batch. `run` gets the item's index, for results in order.
 */
export const inLanes = async <T>(
  items: readonly T[],
  width: number,
  run: (item: T, index: number) => Promise<void>,
): Promise<void> => {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      await run(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
};
