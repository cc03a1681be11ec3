import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../src/domain/events.js';
import { stepDoneBy } from '../../src/domain/purgeSteps.js';
import {
  buildDeletionHome,
  currentValuesOf,
  type DeletionHome,
  readLog,
  rowsPerTable,
  scanFiles,
  secretsOf,
} from '../support/deletionHome.js';
import { LedgerAppServer } from '../support/ledgerProcess.js';
import { tempDir } from '../support/tempDir.js';

const ALL_KINDS = ['cli', 'vscode', 'exec', 'appServer', 'subAgentThreadSpawn'];
type Page = { data: { id: string }[] };

/** Every needle found anywhere under the home, with where: [] when the home holds none. */
const leftovers = (h: DeletionHome, needles: readonly string[]): string[] =>
  [...scanFiles(h.home, needles)].map(
    ([needle, files]) => `${needle} in ${files.map((f) => f.slice(h.home.length + 1)).join(', ')}`,
  );

const jsonLines = (path: string): Record<string, unknown>[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('thread/delete over a real CODEX_HOME', () => {
  it('a thread/delete leaves nothing of the subtree in any file under CODEX_HOME', async () => {
    const dir = await tempDir('delete-everything-');
    const h = buildDeletionHome(dir.path, { subtreeSize: 7, fanout: 2, decoys: true });
    const dataDir = join(h.home, 'thread-ledger');
    const databases = h.seeded.files;
    const needles = [
      ...h.subtree.flatMap((id) => secretsOf(h, id)),
      ...h.decoys.filter((d) => d.why.startsWith('session_meta')).map((d) => d.text),
    ];

    // Before: every current value is somewhere in the home (the scan sees it), and the rows are there.
    // (Overwritten copies of a preview or title are scanned for too, though SQLite may have reused their space.)
    const present = [
      ...h.subtree.flatMap((id) => currentValuesOf(h, id)),
      ...h.decoys.map((d) => d.text),
    ];
    const before = scanFiles(h.home, present);
    expect(present.filter((n) => !before.has(n))).toEqual([]);
    const subtreeRows = Object.fromEntries(
      databases.map((db) => [db, rowsPerTable(db, h.subtree)]),
    );
    for (const db of databases) expect(Object.keys(subtreeRows[db]!).length, db).toBeGreaterThan(0);
    const keptRows = new Map(
      h.kept.map((id) => [id, databases.map((db) => rowsPerTable(db, [id]))]),
    );
    const keptIndexLines = jsonLines(join(h.home, 'session_index.jsonl')).filter((l) =>
      h.kept.includes(l['id'] as string),
    );
    const keptHistoryLines = jsonLines(join(h.home, 'history.jsonl')).filter((l) =>
      h.kept.includes(l['session_id'] as string),
    );

    const server = await LedgerAppServer.start(h.home);
    try {
      const listed = await server.result<Page>('thread/list', {
        sourceKinds: ALL_KINDS,
        modelProviders: [],
      });
      const archived = await server.result<Page>('thread/list', {
        sourceKinds: ALL_KINDS,
        modelProviders: [],
        archived: true,
      });
      const visible = [...listed.data, ...archived.data].map((t) => t.id);
      for (const id of [...h.subtree, ...h.kept]) expect(visible, id).toContain(id);
      expect(archived.data.map((t) => t.id)).toEqual([h.archived]);
      server.rpc.takeNotifications();

      const reply = await server.call('thread/delete', { threadId: h.root }, 20_000);
      expect(reply.error, JSON.stringify(reply.error)).toBeUndefined();
      expect(reply.result).toEqual({});

      // One thread/deleted per thread of the subtree (the archived one included), the root last.
      const deleted = server.rpc
        .takeNotifications()
        .filter((n) => n.method === 'thread/deleted')
        .map((n) => n.params['threadId'] as string);
      expect([...deleted].sort()).toEqual([...h.subtree].sort());
      expect(deleted[deleted.length - 1]).toBe(h.root);

      // While the process runs: nothing of the subtree in any file, thread-ledger's own included.
      expect(leftovers(h, needles)).toEqual([]);
      for (const d of h.decoys) expect(existsSync(d.path), `${d.path} (${d.why})`).toBe(false);
      for (const id of h.subtree) expect(existsSync(h.threads.get(id)!.path), id).toBe(false);

      // Every kept thread: its rollout, its rows table by table, its lines, its values.
      for (const id of h.kept) {
        expect(existsSync(h.threads.get(id)!.path), id).toBe(true);
        expect(
          databases.map((db) => rowsPerTable(db, [id])),
          id,
        ).toEqual(keptRows.get(id));
      }
      for (const db of databases) expect(rowsPerTable(db, h.subtree), db).toEqual({});
      expect(jsonLines(join(h.home, 'session_index.jsonl'))).toEqual(keptIndexLines);
      expect(jsonLines(join(h.home, 'history.jsonl'))).toEqual(keptHistoryLines);
      const keptValues = h.kept.flatMap((id) => currentValuesOf(h, id));
      const found = scanFiles(h.home, keptValues);
      expect(keptValues.filter((v) => !found.has(v))).toEqual([]);

      // Served as before: listed, and read with their turns from their own rollout.
      const after = await server.result<Page>('thread/list', {
        sourceKinds: ALL_KINDS,
        modelProviders: [],
      });
      const afterArchived = await server.result<Page>('thread/list', {
        sourceKinds: ALL_KINDS,
        modelProviders: [],
        archived: true,
      });
      const ids = [...after.data, ...afterArchived.data].map((t) => t.id);
      expect(ids.sort()).toEqual([...h.kept].sort());
      for (const id of h.kept) {
        const { thread } = await server.result<{
          thread: { id: string; path: string; preview: string; turns: unknown[] };
        }>('thread/read', { threadId: id, includeTurns: true });
        expect(thread.path, id).toBe(h.threads.get(id)!.path);
        expect(thread.preview, id).toBe(h.threads.get(id)!.preview);
        expect(thread.turns.length, id).toBeGreaterThan(0);
      }
      for (const id of h.subtree) {
        const r = await server.call('thread/read', { threadId: id });
        expect(r.error?.code, id).toBe(-32600);
      }

      // The deletion record: per thread, one CodexDatabasePurged per database, one HistoryFilePurged,
      // and no step recorded twice; the rows counted add up to what the subtree had.
      const log = readLog(dataDir);
      const ofSubtree = log.filter((e) => h.subtree.includes(e.data['threadId'] as string));
      for (const id of h.subtree) {
        const mine = ofSubtree.filter((e) => e.data['threadId'] === id);
        const purged = mine
          .filter((e) => e.type === 'CodexDatabasePurged')
          .map((e) => e.data['path'] as string);
        expect(purged.sort(), id).toEqual([...databases].sort());
        const history = mine.filter((e) => e.type === 'HistoryFilePurged');
        expect(
          history.map((e) => e.data),
          id,
        ).toEqual([{ threadId: id, path: join(h.home, 'history.jsonl'), linesRemoved: 2 }]);
        const keys = mine.flatMap(
          (e) => stepDoneBy({ type: e.type, data: e.data } as DomainEvent)?.key ?? [],
        );
        expect(keys.length, id).toBe(new Set(keys).size);
        expect(mine.filter((e) => e.type === 'ThreadDeleted').length, id).toBe(1);
      }
      const counted: Record<string, Record<string, number>> = Object.fromEntries(
        databases.map((db) => [db, {}]),
      );
      for (const e of ofSubtree.filter((e) => e.type === 'CodexDatabasePurged')) {
        for (const { table, rows } of e.data['tables'] as { table: string; rows: number }[]) {
          const byTable = counted[e.data['path'] as string]!;
          byTable[table] = (byTable[table] ?? 0) + rows;
        }
      }
      expect(counted).toEqual(subtreeRows);
      // Both stray rollouts were purged for the subtree thread whose id they carry.
      const rollouts = ofSubtree
        .filter((e) => e.type === 'RolloutPurged' && e.data['outcome'] === 'removed')
        .map((e) => e.data['path']);
      for (const d of h.decoys) expect(rollouts, d.why).toContain(d.path);
    } finally {
      await server.close();
    }

    // After the process exits (its WAL files checkpointed or left behind): still nothing.
    expect(leftovers(h, needles)).toEqual([]);
    await dir.remove();
  }, 30_000);

  /**
   * A rollout named for a subtree thread G whose session_meta names a kept thread K, read before
   * K's own rollout: K's rollout is still its own file (the importer takes the file named for the
   * thread), so deleting G's subtree purges the stray file (it carries G's id) and K stays served.
   */
  it('a kept thread whose id a misnamed rollout of the subtree carries is still served from its own rollout', async () => {
    const dir = await tempDir('delete-misnamed-');
    const h = buildDeletionHome(dir.path, {
      subtreeSize: 7,
      fanout: 2,
      decoys: true,
      decoysFirst: true,
    });
    const m = h.misnamed!;
    const own = h.threads.get(m.metaOf)!.path;
    const server = await LedgerAppServer.start(h.home);
    try {
      const before = await server.result<{ thread: { path: string } }>('thread/read', {
        threadId: m.metaOf,
      });
      // What the ledger took for K's rollout: the file named for G (observed: m.path, not `own`).
      console.info(
        `kept ${m.metaOf}: ledger path before the delete ${before.thread.path === m.path ? 'is the misnamed file' : 'is its own file'}`,
      );
      expect(await server.result('thread/delete', { threadId: h.root }, 20_000)).toEqual({});
      expect(existsSync(m.path)).toBe(false); // it carried G's id by name: purged
      expect(existsSync(own)).toBe(true); // K's own rollout is untouched
      const r = await server.call('thread/read', { threadId: m.metaOf, includeTurns: true });
      // Observed today: {"code":-32600,"message":"no rollout found for thread id <K>"}.
      expect(r.error, JSON.stringify(r.error)).toBeUndefined();
      expect((r.result as { thread: { path: string } }).thread.path).toBe(own);
    } finally {
      await server.close();
      await dir.remove();
    }
  }, 30_000);
});
