import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { ThreadStarted } from '../../src/domain/events.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { listThreads } from '../../src/projections/threadListQuery.js';
import { useProjectionSpec } from '../support/projectionSpec.js';
import { unwrap } from '../support/unwrap.js';

describe('the thread list, given threads started, renamed, archived and deleted', () => {
  const spec = useProjectionSpec();

  const list = async (params: Record<string, unknown>) => unwrap(listThreads(spec.db, params));
  const ids = async (params: Record<string, unknown>) =>
    (await list(params)).rows.map((r) => r.thread_id);

  /** A root thread created now; the clock then moves on, so it is recorded a moment later. */
  const start = async (over: Partial<ThreadStarted>) =>
    spec.root({ createdAtMs: spec.clock.now++, ...over });
  const archive = (threadId: ThreadId) =>
    spec.given({ type: 'ThreadArchived', data: { threadId, rolloutPath: null } });
  const rename = (threadId: ThreadId, name: string) =>
    spec.given({ type: 'ThreadRenamed', data: { threadId, name, indexedIn: null } });

  it('gives each row with every column of the threads table, as stored', async () => {
    const a = await start({
      cwd: '/a',
      name: 'A',
      gitInfo: { sha: 'abc', branch: 'main', originUrl: null },
    });
    await start({ cwd: '/b', preview: 'hello' });
    archive(a);
    for (const archived of [false, true]) {
      const stored = spec.db
        .prepare('SELECT * FROM threads WHERE archived = ? ORDER BY created_at DESC')
        .all(archived ? 1 : 0);
      expect((await list({ archived, sourceKinds: [] })).rows).toEqual(stored);
    }
  });

  it('lists interactive threads by default, newest first, and others when asked', async () => {
    const cli = await start({ sourceKind: 'cli' });
    const exec = await start({ sourceKind: 'exec' });
    const vscode = await start({ sourceKind: 'vscode' });
    const child = spec.child(cli);
    expect(await ids({})).toEqual([vscode, cli]);
    expect(await ids({ sourceKinds: [] })).toEqual([vscode, cli]);
    expect(await ids({ sourceKinds: ['exec', 'subAgentThreadSpawn'] })).toEqual([child, exec]);
  });

  it('filters by archived, cwd, model provider and a search term on the name', async () => {
    const a = await start({ cwd: '/a', modelProvider: 'openai', name: 'Fix the Build' });
    const b = await start({ cwd: '/b', modelProvider: 'azure', name: '100% done_now' });
    const c = await start({ cwd: '/a', modelProvider: 'azure' });
    archive(c);
    expect(await ids({ archived: true })).toEqual([c]);
    expect(await ids({ archived: false })).toEqual([b, a]);
    expect(await ids({ cwd: '/a' })).toEqual([a]);
    expect(await ids({ cwd: ['/a', '/b'] })).toEqual([b, a]);
    expect(await ids({ modelProviders: ['azure'] })).toEqual([b]);
    expect(await ids({ modelProviders: [] })).toEqual([b, a]);
    expect(await ids({ searchTerm: 'build' })).toEqual([a]);
    expect(await ids({ searchTerm: '100%' })).toEqual([b]);
    expect(await ids({ searchTerm: '_' })).toEqual([b]); // wildcards are literal
    expect(await ids({ searchTerm: '%' })).toEqual([b]);
  });

  it('sorts by created or updated time, either way', async () => {
    const a = await start({});
    const b = await start({});
    spec.clock.now += 10_000;
    rename(a, 'touched');
    expect(await ids({ sortKey: 'created_at', sortDirection: 'asc' })).toEqual([a, b]);
    expect(await ids({ sortKey: 'created_at' })).toEqual([b, a]);
    expect(await ids({ sortKey: 'updated_at' })).toEqual([a, b]);
    expect(await ids({ sortKey: 'updated_at', sortDirection: 'asc' })).toEqual([b, a]);
  });

  it('pages with cursors that neither skip nor repeat while threads are created and deleted', async () => {
    const stable: ThreadId[] = [];
    const doomed: ThreadId[] = [];
    for (let i = 0; i < 60; i++)
      (i % 4 === 0 ? doomed : stable).push(await start({ createdAtMs: 1000 + (i % 7) })); // ties too
    for (const [sortKey, sortDirection] of [
      ['created_at', 'desc'],
      ['created_at', 'asc'],
      ['updated_at', 'desc'],
    ] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let page = 0;
      do {
        const r = await list({ limit: 7, cursor, sortKey, sortDirection });
        seen.push(...r.rows.map((x) => x.thread_id));
        cursor = r.nextCursor;
        // concurrent writes between pages: new threads, deletions of others
        await start({ createdAtMs: 1000 + (page % 7) });
        const victim = doomed.pop();
        if (victim) spec.deleteRequested(victim);
        page++;
      } while (cursor !== null);
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of stable) expect(seen).toContain(id);
    }
  });

  it('excludes ids before the limit, and pages back with the backwards cursor', async () => {
    const ids5: ThreadId[] = [];
    for (let i = 0; i < 5; i++) ids5.push(await start({}));
    const newestFirst = [...ids5].reverse();
    expect(await ids({ excludedThreadIds: [newestFirst[0]], limit: 2 })).toEqual(
      newestFirst.slice(1, 3),
    );
    const second = await list({ limit: 2, cursor: (await list({ limit: 2 })).nextCursor });
    expect(second.rows.map((r) => r.thread_id)).toEqual(newestFirst.slice(2, 4));
    // back from the second page, oldest first: the threads newer than its first row
    expect(await ids({ sortDirection: 'asc', cursor: second.backwardsCursor })).toEqual(
      newestFirst.slice(0, 2).reverse(),
    );
  });

  it('refuses bad parameters with a message that says what is wrong', async () => {
    const err = (p: unknown) => {
      const r = listThreads(spec.db, p);
      return E.isLeft(r) ? r.left.message : 'accepted';
    };
    expect(err({ limit: 0 })).toBe('limit must be between 1 and 1000, got 0');
    expect(err({ limit: 1.5 })).toMatch(/limit/);
    expect(err({ sortKey: 'name' })).toMatch(/sortKey/);
    expect(err({ sourceKinds: ['bogus'] })).toMatch(/sourceKinds/);
    expect(err({ cursor: 'garbage' })).toBe('cursor is not one this server issued');
    expect(err({ excludedThreadIds: ['nope'] })).toBe(
      'excludedThreadIds: invalid thread id "nope"',
    );
    expect(
      err({ excludedThreadIds: Array(101).fill('01a21371-4b35-72ca-ac7d-282102267fc9') }),
    ).toBe('excludedThreadIds takes at most 100 ids, got 101');
    expect(err({ originators: ['codex_cli_rs'] })).toBe(
      'originators filter is not supported by a local thread store',
    );
    await start({});
    await start({});
    const { nextCursor } = await list({ limit: 1 });
    expect(err({ cursor: nextCursor, sortKey: 'updated_at' })).toBe(
      'cursor was issued for sortKey created_at desc, not updated_at desc',
    );
  });
});
