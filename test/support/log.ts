import type { Ledger } from '../../src/app/ledger.js';
import type { StoredEvent } from '../../src/store/eventCodec.js';

/** Every event in the log, decoded. */
export const readLog = async (ledger: Ledger): Promise<StoredEvent[]> => {
  const out: StoredEvent[] = [];
  let after: bigint | null = null;
  for (;;) {
    const page = await ledger.store.readAll({ after, maxCount: 5000 });
    if (page.length === 0) return out;
    out.push(...(await ledger.codec.decodeMany(page)));
    after = page[page.length - 1]!.position;
  }
};

export const countBy = <T>(items: T[], key: (t: T) => string): Map<string, number> => {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
};
