import { describe, expect, it } from 'vitest';
import type { ThreadId } from '../../src/domain/ids.js';
import type { CatalogFilter } from '../../src/projections/threadCatalogQuery.js';
import { useProjectionSpec } from '../support/projectionSpec.js';
import { newId } from '../support/threads.js';

const MINUTE = 60_000;

describe('the thread catalog: every thread ever started or tombstoned, without content', () => {
  const spec = useProjectionSpec();
  const row = (id: ThreadId) => spec.queries.catalog.page({}, 1000).find((r) => r.thread_id === id);
  const ids = (f: CatalogFilter, limit = 1000) =>
    spec.queries.catalog.page(f, limit).map((r) => r.thread_id);
  const archive = (threadId: ThreadId, archived = true) =>
    spec.given({
      type: archived ? 'ThreadArchived' : 'ThreadUnarchived',
      data: { threadId, rolloutPath: null },
    });

  it('keeps a started thread’s place, kind, creator and time, and follows its archiving', () => {
    spec.actor = 'svc-orders';
    const root = spec.root({ sourceKind: 'appServer' });
    spec.clock.now += MINUTE;
    spec.actor = 'svc-agents';
    const child = spec.child(root);
    archive(child);
    expect(row(root)).toEqual({
      thread_id: root,
      parent_thread_id: null,
      depth: 0,
      source_kind: 'appServer',
      created_at: spec.clock.now - MINUTE,
      created_by: 'svc-orders',
      listed_at: spec.clock.now - MINUTE,
      archived: 0,
      status: 'live',
      root_thread_id: null,
      requested_by: null,
      requested_at: null,
      reason: null,
      deleted_at: null,
    });
    expect(row(child)).toMatchObject({
      parent_thread_id: root,
      depth: 1,
      source_kind: 'subAgentThreadSpawn',
      created_by: 'svc-agents',
      archived: 1,
    });
    archive(child, false);
    expect(row(child)?.archived).toBe(0);
  });

  it('has no column a thread’s content could be kept in', () => {
    const columns = spec.db
      .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
      .all('thread_catalog')
      .map((c) => c.name);
    expect(columns.length).toBeGreaterThan(0);
    for (const content of ['name', 'preview', 'cwd', 'rollout_path', 'git_info', 'codex'])
      expect(columns).not.toContain(content);
  });

  it('keeps a deleted thread with its deletion: the request’s reason and requester on every thread of it', () => {
    const root = spec.root();
    const child = spec.child(root);
    spec.clock.now += MINUTE;
    spec.actor = 'dpo';
    spec.given({
      type: 'ThreadDeleteRequested',
      data: { threadId: root, rootThreadId: root, reason: 'erasure', commits: null },
    });
    const requestedAt = spec.clock.now;
    spec.clock.now += MINUTE;
    // The cascade as a worker finishes it: its own tombstone has no reason.
    spec.actor = 'deletion-worker';
    spec.deleteRequested(child, root);
    expect(row(child)).toMatchObject({
      status: 'deleting',
      root_thread_id: root,
      requested_by: 'dpo',
      reason: 'erasure',
      requested_at: requestedAt + MINUTE,
      deleted_at: null,
      created_by: 'test',
    });
    spec.clock.now += MINUTE;
    spec.deleted(child, root);
    spec.deleted(root);
    for (const id of [root, child])
      expect(row(id)).toMatchObject({
        status: 'deleted',
        deleted_at: spec.clock.now,
        requested_by: 'dpo',
        reason: 'erasure',
      });
    expect(row(root)?.requested_at).toBe(requestedAt);
  });

  it('lists a spawned thread tombstoned before it ever started, at its tombstone’s time, its parent from the spawn graph', () => {
    const root = spec.root();
    const never = newId();
    spec.given({ type: 'SubagentSpawned', data: { parentThreadId: root, childThreadId: never } });
    spec.clock.now += MINUTE;
    spec.actor = 'dpo';
    spec.given({
      type: 'ThreadDeleteRequested',
      data: { threadId: root, rootThreadId: root, reason: null, commits: null },
    });
    spec.deleteRequested(never, root);
    expect(row(never)).toMatchObject({
      parent_thread_id: root,
      depth: 1,
      source_kind: null,
      created_at: null,
      created_by: null,
      listed_at: spec.clock.now,
      status: 'deleting',
      requested_by: 'dpo',
    });
  });

  it('pages newest first by keyset, and filters by kind, archiving, status, actor and creation time', () => {
    const made: ThreadId[] = [];
    for (let i = 0; i < 6; i++) {
      spec.clock.now += MINUTE;
      spec.actor = i % 2 === 0 ? 'even' : 'odd';
      made.push(spec.root({ sourceKind: i < 3 ? 'cli' : 'exec' }));
    }
    const t0 = spec.clock.now - 5 * MINUTE;
    archive(made[1]!);
    spec.actor = 'dpo';
    spec.deleteRequested(made[2]!);
    spec.deleteRequested(made[3]!);
    spec.deleted(made[3]!);

    const newestFirst = [...made].reverse();
    expect(ids({})).toEqual(newestFirst);
    const first = spec.queries.catalog.page({}, 4);
    const last = first[first.length - 1]!;
    const rest = ids({ after: { listedAt: last.listed_at, threadId: last.thread_id } }, 4);
    expect([...first.map((r) => r.thread_id), ...rest]).toEqual(newestFirst);

    expect(ids({ sourceKinds: ['exec'] })).toEqual(newestFirst.slice(0, 3));
    expect(ids({ archived: true })).toEqual([made[1]]);
    expect(ids({ archived: false })).not.toContain(made[1]);
    expect(ids({ statuses: ['deleting', 'deleted'] })).toEqual([made[3], made[2]]);
    expect(ids({ statuses: ['live'] })).toEqual([made[5], made[4], made[1], made[0]]);
    expect(ids({ actor: 'odd' })).toEqual([made[5], made[3], made[1]]);
    // `actor` is who started a thread or asked for its deletion.
    expect(ids({ actor: 'dpo' })).toEqual([made[3], made[2]]);
    expect(ids({ since: t0 + MINUTE, until: t0 + 3 * MINUTE })).toEqual([
      made[3],
      made[2],
      made[1],
    ]);
  });
});
