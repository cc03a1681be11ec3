import { describe, expect, it } from 'vitest';
import { ctx, useLedgerFixture } from '../support/ledgerFixture.js';
import { newId, startedData } from '../support/threads.js';
import { unwrap } from '../support/unwrap.js';

describe('following the log', () => {
  const f = useLedgerFixture();

  it('gathers what arrives during a slow apply into the next batch, instead of queueing one batch per event', async () => {
    const keys = f.ledger.keys;
    const getMany = keys.getMany.bind(keys);
    let fetches = 0;
    // A key service 200 ms away: every batch that opens content waits that long for its keys.
    keys.getMany = async (ids) => {
      fetches++;
      await new Promise((r) => setTimeout(r, 200));
      return getMany(ids);
    };
    f.ledger.runner.start();
    let last = 0n;
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = newId();
      ids.push(id);
      last = unwrap(
        await f.ledger.lifecycle.start(startedData({ threadId: id, name: `thread ${i}` }), ctx),
      ).position!;
      await new Promise((r) => setTimeout(r, 10));
    }
    await f.ledger.runner.waitFor(last);
    for (const [i, id] of ids.entries())
      expect(f.ledger.queries.sessionName(id as never)).toBe(`thread ${i}`);
    expect(fetches).toBeLessThan(10); // one per event would be 30
  });
});
