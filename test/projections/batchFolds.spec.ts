import Database from 'better-sqlite3';
import fc from 'fast-check';
import type * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/domain/events.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { deletionRecordsProjection } from '../../src/projections/deletionRecords.js';
import {
  createProjectionTables,
  foldBatch,
  type Projection,
} from '../../src/projections/projection.js';
import { sessionIndexProjection } from '../../src/projections/sessionIndex.js';
import { subtreeGraphProjection } from '../../src/projections/subtreeGraph.js';
import { threadCatalogProjection } from '../../src/projections/threadCatalog.js';
import { threadListProjection } from '../../src/projections/threadList.js';
import type { StoredEvent } from '../../src/store/eventCodec.js';
import type { RecordedEvent } from '../../src/store/eventStore.js';
import { startedData } from '../support/threads.js';

/** The folds of rows by thread: the live follower folds small batches, a rebuild large ones. */
const projections: readonly Projection[] = [
  threadListProjection,
  sessionIndexProjection,
  subtreeGraphProjection,
  threadCatalogProjection,
  deletionRecordsProjection,
];

// Few threads, so that events meet on the same rows within a batch and across batches.
const ids = ['a', 'b', 'c', 'd'].map((c) => `0000000${c}-0000-4000-8000-000000000000` as ThreadId);
const anId = fc.constantFrom(...ids);
const step = fc.constantFrom('codex-home', 'content', 'rollout:/r1');

/** Any lifecycle event these folds read, on a few threads, in any order (nonsense ones too). */
const anEvent: fc.Arbitrary<DomainEvent> = fc.oneof(
  fc
    .record({
      threadId: anId,
      parent: fc.option(anId),
      name: fc.option(fc.string()),
      rolloutPath: fc.option(fc.constant('/r0')),
    })
    .map(({ threadId, parent, name, rolloutPath }) => ({
      type: 'ThreadStarted' as const,
      data: startedData({
        threadId,
        parentThreadId: parent,
        depth: (parent ? 1 : 0) as t.Int,
        name,
        rolloutPath,
      }),
    })),
  fc
    .record({ parentThreadId: anId, childThreadId: anId })
    .map((data) => ({ type: 'SubagentSpawned' as const, data })),
  fc
    .record({ threadId: anId, name: fc.option(fc.string()) })
    .map((data) => ({ type: 'ThreadRenamed' as const, data: { ...data, indexedIn: null } })),
  fc
    .record({ threadId: anId, updatedAtMs: fc.integer({ min: 0, max: 10_000 }) })
    .map((data) => ({ type: 'ThreadUpdated' as const, data })),
  fc
    .record({ threadId: anId, rolloutPath: fc.option(fc.constantFrom('/r1', '/r2')) })
    .chain((data) =>
      fc.constantFrom<DomainEvent>(
        { type: 'ThreadArchived', data },
        { type: 'ThreadUnarchived', data },
      ),
    ),
  fc
    .record({ threadId: anId, rootThreadId: anId, reason: fc.option(fc.string()) })
    .map((data) => ({ type: 'ThreadDeleteRequested' as const, data: { ...data, commits: null } })),
  fc.record({ threadId: anId, step, error: fc.string() }).map((data) => ({
    type: 'DeletionStepFailed' as const,
    data: { ...data, attempt: 1 as t.Int, nextRetryAtMs: 5 },
  })),
  fc
    .record({ threadId: anId, outcome: fc.constantFrom('removed' as const, 'absent' as const) })
    .map((data) => ({
      type: 'RolloutPurged' as const,
      data: { ...data, path: '/r1', sizeBytes: null, sha256: null },
    })),
  fc.record({ threadId: anId }).map((data) => ({
    type: 'ThreadContentShredded' as const,
    data: { ...data, outcome: 'destroyed' as const },
  })),
  fc
    .record({ threadId: anId, step })
    .map((data) => ({ type: 'DeletionStepWaived' as const, data: { ...data, reason: 'gone' } })),
  fc
    .record({ threadId: anId, rootThreadId: anId })
    .map((data) => ({ type: 'ThreadDeleted' as const, data })),
);

const storedOf = (events: readonly DomainEvent[], actors: readonly string[]): StoredEvent[] =>
  events.map((event, i) => ({
    event,
    metadata: {
      actor: actors[i % actors.length]!,
      requestId: `req-${i}`,
      causationId: null,
      recordedAtMs: 1_000 + i,
      schemaVersion: 1 as StoredEvent['metadata']['schemaVersion'],
    },
    streamId: 's',
    revision: BigInt(i),
    position: BigInt(i + 1),
  }));

/** Every table's rows, in key order. */
const tablesOf = (db: Database.Database) =>
  projections.flatMap((p) =>
    p.tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()] as const),
  );

/**
 * Folds `events` in batches of the given sizes (cycled), each in its own transaction; a batch
 * listed in `rolledBack` is first folded in a transaction that fails before the batch's end, then again.
 */
const fold = (events: StoredEvent[], sizes: readonly number[], rolledBack: readonly number[]) => {
  const db = new Database(':memory:');
  for (const p of projections) createProjectionTables(db, p, '');
  const folds = projections.map((p) => p.handler(db, ''));
  const apply = db.transaction((batch: StoredEvent[], fail: boolean) => {
    for (const f of folds) {
      if (!fail) foldBatch(f, batch, batch as unknown as RecordedEvent[]);
      else {
        // Fails mid-batch, as an event that does not fold would: its rows never reach `end`.
        f.begin?.();
        for (const e of batch) f(e, e as unknown as RecordedEvent);
      }
    }
    if (fail) throw new Error('rolled back');
  });
  for (let at = 0, n = 0; at < events.length; n++) {
    const batch = events.slice(at, at + sizes[n % sizes.length]!);
    if (rolledBack.includes(n)) expect(() => apply(batch, true)).toThrow('rolled back');
    apply(batch, false);
    at += batch.length;
  }
  const tables = tablesOf(db);
  db.close();
  return tables;
};

describe('the lifecycle folds, batch by batch', () => {
  it('leave the same rows however the log is split into batches, a batch rolled back and folded again included', () => {
    fc.assert(
      fc.property(
        fc.array(anEvent, { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 6 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 10 }), { maxLength: 3 }),
        fc.array(fc.constantFrom('op', 'deletion-worker'), { minLength: 1, maxLength: 3 }),
        (events, sizes, rolledBack, actors) => {
          const stored = storedOf(events, actors);
          // One event a batch: each row written as its event is folded, the live follower's worst case.
          expect(fold(stored, sizes, rolledBack)).toEqual(fold(stored, [1], []));
        },
      ),
      { numRuns: 150, seed: 15 },
    );
  });
});
