import { describe, expect, it, vi } from 'vitest';
import { DeletionSignals } from '../../src/projections/deletionSignals.js';
import { ProjectionRunner } from '../../src/projections/projectionRunner.js';
import { allProjections } from '../../src/projections/readModels.js';
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

  it('signals a tombstone and a completed deletion once each, when the read models hold them, caught up or followed live', async () => {
    const deletions = new DeletionSignals();
    const { readDb, store, codec, queries } = f.ledger;
    const runner = new ProjectionRunner(readDb, store, codec, allProjections, { deletions });
    const told: string[] = [];
    const status = (id: string) => queries.deletion(id)?.record.status;
    const id = await f.root();
    deletions.requested.subscribe(() => told.push(`requested, ${status(id)}`));
    deletions.completed.subscribe(() => told.push(`completed, ${status(id)}`));
    unwrap(await f.ledger.lifecycle.delete(id, null, ctx));
    await runner.catchUp();
    expect(told).toEqual(['requested, pending']);
    runner.start();
    // The worker's passes catch the ledger's own runner up on the same read models: this runner's
    // live subscription still hears the completion, as a second process on read.db would.
    for (let i = 0; i < 10 && status(id) !== 'deleted'; i++) await f.ledger.worker.runPass();
    for (let i = 0; i < 200 && told.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await runner.catchUp(); // overlaps what the live subscription applied: told nothing again
    expect(told).toEqual(['requested, pending', 'completed, deleted']);
    await runner.stop();
  });

  it('reads nothing of the log when nothing was committed since it last read to the end, and everything once another connection commits', async () => {
    const { runner, store, queries } = f.ledger;
    await f.root();
    await runner.catchUp();
    const reads = vi.spyOn(store, 'readAll');
    expect(await runner.catchUp()).toBe(0);
    expect(reads).not.toHaveBeenCalled();
    // A second process on the same data folder (the fixture closes it; this test closes the first).
    const mine = f.ledger;
    f.reopen();
    try {
      const id = newId();
      unwrap(
        await f.ledger.lifecycle.start(startedData({ threadId: id, name: 'from elsewhere' }), ctx),
      );
      await runner.catchUp();
      expect(reads).toHaveBeenCalled();
      expect(queries.sessionName(id as never)).toBe('from elsewhere');
    } finally {
      await mine.close();
    }
  });
});
