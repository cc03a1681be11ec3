import { describe, expect, it } from 'vitest';
import { Checkpoints } from '../../src/projections/checkpoints.js';
import {
  createProjectionTables,
  type Fold,
  type Projection,
} from '../../src/projections/projection.js';
import { SpanFold } from '../../src/projections/spanFold.js';
import { threadListProjection } from '../../src/projections/threadList.js';
import type { RecordedEvent } from '../../src/store/eventStore.js';
import { useLedgerFixture } from '../support/ledgerFixture.js';

/** The thread list into `threads_span`, its fold failing at the event of position `failAt`. */
const failingAt = (failAt: bigint): Projection => ({
  ...threadListProjection,
  handler(db, suffix) {
    const inner = threadListProjection.handler(db, suffix);
    const fold: Fold = Object.assign(
      (e: Parameters<Fold>[0], r: RecordedEvent) => {
        if (e.position === failAt) throw new Error('does not fold');
        inner(e, r);
      },
      { begin: inner.begin, end: inner.end },
    );
    return fold;
  },
});

/** The log in pages of `n` events. */
async function* pagesOf(n: number, events: readonly RecordedEvent[]) {
  for (let i = 0; i < events.length; i += n) yield events.slice(i, i + n);
}

describe('SpanFold', () => {
  const f = useLedgerFixture();

  it('writes a span with its checkpoint at its end, or nothing of it when it fails midway', async () => {
    // Given a log of 30 thread starts, folded in spans of 10 events, pages of 5
    for (let i = 0; i < 30; i++) await f.root(`t${i}`);
    const log = await f.ledger.store.readAll({ after: null, maxCount: 1000 });
    expect(log).toHaveLength(30);
    const db = f.ledger.readDb;
    const p = failingAt(log[24]!.position);
    createProjectionTables(db, p, '_span', { indexes: false });
    const spans = new SpanFold(db, f.ledger.codec, [p], '_span');
    const committed: number[] = [];

    // when its third span fails at its fifth event
    await expect(spans.run(pagesOf(5, log), 10, (n) => committed.push(n))).rejects.toThrow(
      'does not fold',
    );

    // then the first two spans are there, each with its checkpoint, and nothing of the third
    expect(committed).toEqual([10, 20]);
    expect(new Checkpoints(db).of('thread_list_span')).toBe(log[19]!.position);
    expect(spans.position()).toBe(log[19]!.position);
    const count = db.prepare('SELECT count(*) FROM threads_span').pluck().get();
    expect(count).toBe(20);
  });
});
