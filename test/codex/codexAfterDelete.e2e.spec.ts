import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureThread, writeRollout } from '../support/codexHomeFixture.js';
import { scanFiles } from '../support/deletionHome.js';
import { LedgerAppServer } from '../support/ledgerProcess.js';
import { type AppServerProcess, startRealCodex } from '../support/realCodex.js';
import { tempDir } from '../support/tempDir.js';

/**
 * The real `codex app-server` 0.169.0 before and after thread-ledger deletes a subtree on the same
 * CODEX_HOME. Codex serves `thread/read` from its own `threads` row, not from the rollout (see
 * shared/codex-protocol/README.md): a deletion that removed only the files would leave Codex
 * answering for the deleted threads. This spec lets Codex build its databases itself, deletes
 * with thread-ledger, then asks Codex again.
 */
const ALL_KINDS = ['cli', 'vscode', 'exec', 'appServer', 'subAgentThreadSpawn'];
type Page = { data: { id: string; preview: string }[] };

describe('real codex app-server after a thread-ledger delete', () => {
  let home: string;
  let remove: () => Promise<void>;
  const threads = new Map<string, FixtureThread>();
  let subtree: string[];
  let kept: string[];
  /** A kept thread whose rollout is removed by hand (not by a delete): the contrast. */
  let orphan: string;
  let root: string;

  const add = (parent: string | null, depth: number, archived = false): string => {
    const id = uuidv7();
    const t = {
      id,
      parent,
      depth,
      archived,
      name: null,
      source: parent ? 'subagent' : 'cli',
      cwd: '/home/dev/project',
      preview: `preview:${id}:tell codex a secret`,
      createdAt: new Date(Date.parse('2026-11-20T10:00:00Z') + threads.size * 61_000),
    };
    threads.set(id, { ...t, path: writeRollout(home, t) });
    return id;
  };

  const listAll = async (codex: AppServerProcess): Promise<string[]> => {
    const live = await codex.result<Page>('thread/list', {
      sourceKinds: ALL_KINDS,
      modelProviders: [],
      limit: 100,
    });
    const archived = await codex.result<Page>('thread/list', {
      sourceKinds: ALL_KINDS,
      modelProviders: [],
      archived: true,
      limit: 100,
    });
    return [...live.data, ...archived.data].map((t) => t.id);
  };
  const threadRows = (): string[] => {
    const db = new Database(join(home, 'state_5.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return db
        .prepare<[], { id: string }>('SELECT id FROM threads')
        .all()
        .map((r) => r.id);
    } finally {
      db.close();
    }
  };
  const edgeRows = (): { parent_thread_id: string; child_thread_id: string }[] => {
    const db = new Database(join(home, 'state_5.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return db
        .prepare<[], { parent_thread_id: string; child_thread_id: string }>(
          'SELECT parent_thread_id, child_thread_id FROM thread_spawn_edges',
        )
        .all();
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    const dir = await tempDir('codex-after-delete-');
    home = dir.path;
    remove = dir.remove;
    root = add(null, 0);
    const c1 = add(root, 1);
    const c2 = add(root, 1);
    const g = add(c1, 2);
    const gArchived = add(c2, 2, true);
    subtree = [root, c1, c2, g, gArchived];
    const k0 = add(null, 0);
    const k1 = add(null, 0);
    const k2 = add(k0, 1);
    orphan = add(null, 0);
    kept = [k0, k1, k2, orphan];
  });

  afterAll(async () => {
    await remove();
  });

  it('Codex builds its databases on the home and backfills a threads row for every thread it read', async () => {
    const codex = await startRealCodex(home);
    try {
      expect((await listAll(codex)).sort()).toEqual([...subtree, ...kept].sort());
      for (const id of [...subtree, ...kept]) {
        const { thread } = await codex.result<{ thread: { id: string; preview: string } }>(
          'thread/read',
          { threadId: id },
        );
        expect(thread.preview).toBe(threads.get(id)!.preview);
      }
    } finally {
      await codex.close();
    }
    expect(threadRows().sort()).toEqual([...subtree, ...kept].sort());
    expect(edgeRows().length).toBeGreaterThan(0);
    // Codex's copies of the previews (preview, title, first_user_message) are in its database files.
    const inDatabases = scanFiles(
      home,
      subtree.map((id) => threads.get(id)!.preview),
    );
    for (const id of subtree) {
      expect(
        inDatabases.get(threads.get(id)!.preview)?.some((f) => /state_5\.sqlite/.test(f)),
        id,
      ).toBe(true);
    }
  }, 30_000);

  it('thread-ledger deletes the subtree: its rows leave Codex databases, its previews every file', async () => {
    const ledger = await LedgerAppServer.start(home);
    try {
      expect(await ledger.result('thread/delete', { threadId: root }, 20_000)).toEqual({});
    } finally {
      await ledger.close();
    }
    const rows = threadRows();
    for (const id of subtree) expect(rows, id).not.toContain(id);
    for (const id of kept) expect(rows, id).toContain(id);
    const edges = edgeRows();
    expect(
      edges.filter(
        (e) => subtree.includes(e.parent_thread_id) || subtree.includes(e.child_thread_id),
      ),
    ).toEqual([]);
    expect(edges.filter((e) => kept.includes(e.child_thread_id)).length).toBe(1); // k0 -> k2
    expect([
      ...scanFiles(
        home,
        subtree.map((id) => threads.get(id)!.preview),
      ),
    ]).toEqual([]);
    for (const id of subtree) expect(existsSync(threads.get(id)!.path), id).toBe(false);
  }, 30_000);

  it('Codex started again: no deleted thread is listed or read; every kept one is; a thread whose rollout alone was removed is still read', async () => {
    // The contrast: a kept thread's rollout removed by hand, its threads row left as it is.
    rmSync(threads.get(orphan)!.path);
    const codex = await startRealCodex(home);
    const observed: Record<string, unknown> = {};
    try {
      const listed = await listAll(codex);
      for (const id of subtree) expect(listed, id).not.toContain(id);
      for (const id of kept.filter((k) => k !== orphan)) expect(listed, id).toContain(id);
      expect(listed).not.toContain(orphan); // no rollout: not listed

      for (const id of subtree) {
        for (const includeTurns of [false, true]) {
          const r = await codex.call('thread/read', { threadId: id, includeTurns });
          // Observed on 0.169.0, as after Codex's own delete: -32600 "thread not loaded: <id>".
          expect(r.error, `${id} includeTurns=${includeTurns}`).toEqual({
            code: -32600,
            message: `thread not loaded: ${id}`,
          });
        }
      }
      const again = await codex.call('thread/delete', { threadId: root });
      expect(again.error).toEqual({
        code: -32600,
        message: `no rollout found for thread id ${root}`,
      });
      observed['read of a deleted thread'] = (
        await codex.call('thread/read', { threadId: root })
      ).error;
      observed['delete of a deleted thread'] = again.error;

      for (const id of kept.filter((k) => k !== orphan)) {
        const { thread } = await codex.result<{ thread: { preview: string; turns: unknown[] } }>(
          'thread/read',
          { threadId: id, includeTurns: true },
        );
        expect(thread.preview, id).toBe(threads.get(id)!.preview);
        expect(thread.turns.length, id).toBeGreaterThan(0);
      }

      // Its rollout is gone, yet Codex answers thread/read from its threads row, preview included:
      // what it would do for every deleted thread had only the files been removed.
      const orphaned = await codex.result<{ thread: { id: string; preview: string } }>(
        'thread/read',
        { threadId: orphan },
      );
      expect(orphaned.thread.preview).toBe(threads.get(orphan)!.preview);
      const withTurns = await codex.call('thread/read', { threadId: orphan, includeTurns: true });
      expect(withTurns.error).toEqual({ code: -32600, message: `thread not loaded: ${orphan}` });
      observed['read of a thread whose rollout alone was removed'] = 'answered, with its preview';
      observed['the same with includeTurns'] = withTurns.error;
    } finally {
      await codex.close();
    }
    console.info(
      'codex app-server 0.169.0 after a thread-ledger delete:',
      JSON.stringify(observed, null, 1),
    );
  }, 30_000);
});
