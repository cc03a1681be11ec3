import type Database from 'better-sqlite3';
import { afterEach, beforeEach } from 'vitest';
import type { DomainEvent, ThreadStarted as Started } from '../../src/domain/events.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { BatchTransaction } from '../../src/projections/batchTransaction.js';
import { Checkpoints } from '../../src/projections/checkpoints.js';
import { ReadModelQueries } from '../../src/projections/readModelQueries.js';
import { allProjections, openReadModels } from '../../src/projections/readModels.js';
import type { StoredEvent } from '../../src/store/eventCodec.js';
import { newId, startedData } from './threads.js';

/**
 * Projection specs: given events, then rows. The events are applied to in-memory read models
 * through the projections alone (the batch transaction a runner uses), with no log, no keys and no
 * ledger; each is recorded at `clock.now`, at the next position.
 */
export type ProjectionSpec = {
  readonly db: Database.Database;
  readonly queries: ReadModelQueries;
  readonly clock: { now: number };
  /** Who the next events are recorded as caused by (`metadata.actor`); `test` unless set. */
  actor: string;
  /** Applies these events, in order, in one batch. */
  given(...events: DomainEvent[]): void;
  /** Given a root thread started (defaults from `startedData`): its id. */
  root(over?: Partial<Started>): ThreadId;
  /** Given a thread spawned under `parent` (the edge, then the child's start): its id. */
  child(parent: ThreadId, over?: Partial<Started>): ThreadId;
  /** Given `threadId` tombstoned, as one thread of the deletion of `root`. */
  deleteRequested(threadId: ThreadId, root?: ThreadId): void;
  /** Given `threadId`'s deletion completed. */
  deleted(threadId: ThreadId, root?: ThreadId): void;
};

export const projectionSpec = (): ProjectionSpec & { close(): void } => {
  const db = openReadModels(':memory:');
  const batch = new BatchTransaction(db, new Checkpoints(db), allProjections);
  const depths = new Map<ThreadId, number>();
  let position = 0n;
  const spec: ProjectionSpec & { close(): void } = {
    db,
    queries: new ReadModelQueries(db),
    clock: { now: 1_790_000_000_000 },
    actor: 'test',
    given(...events) {
      const stored: StoredEvent[] = events.map((event) => ({
        event,
        metadata: {
          actor: spec.actor,
          requestId: 'req-1',
          causationId: null,
          recordedAtMs: spec.clock.now,
          schemaVersion: 1 as StoredEvent['metadata']['schemaVersion'],
        },
        streamId: `thread-${(event.data as { threadId?: string }).threadId ?? 'edge'}`,
        revision: 0n,
        position: ++position,
      }));
      batch.apply(
        stored,
        stored.map((e) => ({
          id: `event-${e.position}`,
          streamId: e.streamId,
          type: e.event.type,
          revision: e.revision,
          position: e.position,
          data: e.event.data,
          metadata: e.metadata,
        })),
      );
    },
    root(over = {}) {
      const data = startedData({ createdAtMs: spec.clock.now, ...over });
      depths.set(data.threadId, 0);
      spec.given({ type: 'ThreadStarted', data });
      return data.threadId;
    },
    child(parent, over = {}) {
      const depth = (depths.get(parent) ?? 0) + 1;
      const data = startedData({
        threadId: newId(),
        parentThreadId: parent,
        depth: depth as Started['depth'],
        createdAtMs: spec.clock.now,
        ...over,
      });
      depths.set(data.threadId, depth);
      spec.given(
        { type: 'SubagentSpawned', data: { parentThreadId: parent, childThreadId: data.threadId } },
        { type: 'ThreadStarted', data },
      );
      return data.threadId;
    },
    deleteRequested(threadId, root = threadId) {
      spec.given({
        type: 'ThreadDeleteRequested',
        data: { threadId, rootThreadId: root, reason: null, commits: null },
      });
    },
    deleted(threadId, root = threadId) {
      spec.given({ type: 'ThreadDeleted', data: { threadId, rootThreadId: root } });
    },
    close: () => db.close(),
  };
  return spec;
};

/** A fresh projection spec for each test of the enclosing suite. */
export const useProjectionSpec = (): ProjectionSpec => {
  const holder: { s?: ProjectionSpec & { close(): void } } = {};
  beforeEach(() => {
    holder.s = projectionSpec();
  });
  afterEach(() => holder.s?.close());
  return new Proxy({} as ProjectionSpec, {
    get: (_, key) => holder.s![key as keyof ProjectionSpec],
    set: (_, key, value) => Reflect.set(holder.s!, key, value),
  });
};
