import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  codexDatabasesIn,
  DatabaseBusyError,
  purgeThreadRows,
} from '../../src/codex/codexDatabases.js';
import { filesContaining, seedCodexDatabases } from '../support/codexDatabasesFixture.js';
import { newId } from '../support/threads.js';

const rowsOf = (path: string, threadId: string): number => {
  const db = new Database(path, { readonly: true });
  try {
    let n = 0;
    const tables = db
      .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)
      .all();
    for (const { name } of tables) {
      const cols = db
        .prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)')
        .all(name)
        .map((c) => c.name);
      const where = cols
        .filter(
          (c) =>
            c === 'thread_id' ||
            c === 'parent_thread_id' ||
            c === 'child_thread_id' ||
            (name === 'threads' && c === 'id'),
        )
        .map((c) => `"${c}" = @id`);
      if (where.length > 0)
        n += db
          .prepare<{ id: string }, { n: number }>(
            `SELECT count(*) AS n FROM "${name}" WHERE ${where.join(' OR ')}`,
          )
          .get({ id: threadId })!.n;
    }
    return n;
  } finally {
    db.close();
  }
};

/** A home with Codex's five databases: a parent and child to delete, two threads to keep. */
const home = () => {
  const dir = mkdtempSync(join(tmpdir(), 'codex-db-'));
  const [parent, child, kept, keptChild] = [newId(), newId(), newId(), newId()];
  const threads = [
    { id: parent, parent: null, rolloutPath: join(dir, `sessions/rollout-${parent}.jsonl`) },
    { id: child, parent, rolloutPath: join(dir, `sessions/rollout-${child}.jsonl`) },
    { id: kept, parent: null, rolloutPath: join(dir, `sessions/rollout-${kept}.jsonl`) },
    { id: keptChild, parent: kept, rolloutPath: join(dir, `sessions/rollout-${keptChild}.jsonl`) },
  ];
  const seeded = seedCodexDatabases(dir, threads);
  const doomed = threads
    .slice(0, 2)
    .map((t) => ({ threadId: t.id, rolloutPaths: [t.rolloutPath] }));
  return { dir, parent, child, kept, keptChild, seeded, doomed };
};

describe("purging a thread's rows from Codex's databases", () => {
  it('finds the five databases of 0.169.0, and a newer version of one beside the old', () => {
    const h = home();
    new Database(join(h.dir, 'state_6.sqlite')).close();
    new Database(join(h.dir, 'notes.sqlite')).close();
    expect(codexDatabasesIn(h.dir).map((p) => p.slice(h.dir.length + 1))).toEqual([
      'goals_1.sqlite',
      'logs_2.sqlite',
      'memories_1.sqlite',
      'queue_1.sqlite',
      'state_5.sqlite',
      'state_6.sqlite',
    ]);
  });

  it('deletes every row of the deleted threads, keeps every other, and leaves no byte of them in any file', () => {
    const h = home();
    const before = h.seeded.files.map((f) => [rowsOf(f, h.kept), rowsOf(f, h.keptChild)]);
    expect(h.seeded.files.map((f) => rowsOf(f, h.parent)).every((n) => n > 0)).toBe(true);
    // Overwritten values sit in the files' free space before the purge, as after Codex's updates.
    const overwritten = [h.parent, h.child].flatMap((id) =>
      h.seeded.values
        .get(id)!
        .filter((v) => /^threads\.(preview|title):.*:(seeded|update-1)/.test(v)),
    );
    expect(overwritten.filter((v) => filesContaining(h.dir, v).length > 0)).not.toEqual([]);
    const counts = h.seeded.files.map((f) => purgeThreadRows(f, h.doomed));
    for (const f of h.seeded.files)
      expect([rowsOf(f, h.parent), rowsOf(f, h.child)]).toEqual([0, 0]);
    expect(h.seeded.files.map((f) => [rowsOf(f, h.kept), rowsOf(f, h.keptChild)])).toEqual(before);
    // What each thread lost is counted as its own, table by table.
    const state = counts[h.seeded.files.findIndex((f) => f.endsWith('state_5.sqlite'))]!;
    for (const id of [h.parent, h.child])
      expect(state.get(id)).toContainEqual({ table: 'threads', rows: 1 });
    // The edge between them goes once, with whichever of the two is purged first.
    const edges = [h.parent, h.child].flatMap((id) =>
      state.get(id)!.filter((t) => t.table === 'thread_spawn_edges'),
    );
    expect(edges).toEqual([{ table: 'thread_spawn_edges', rows: 1 }]);
    // Every value ever written for them, current or overwritten, is gone from every file.
    for (const id of [h.parent, h.child]) {
      for (const value of h.seeded.values.get(id)!)
        expect(filesContaining(h.dir, value), value).toEqual([]);
    }
    const current = (v: string) => !/^threads\.(preview|title):/.test(v) || v.includes('update-2');
    for (const value of h.seeded.values.get(h.kept)!.filter(current)) {
      expect(filesContaining(h.dir, value).length, value).toBeGreaterThan(0);
    }
  });

  it('leaves nothing of a row Codex deleted long ago, though its page now belongs to another table', () => {
    const h = home();
    const state = join(h.dir, 'state_5.sqlite');
    const stale = `stale-attachment-of-${h.parent}`;
    // As Codex writes (no secure_delete): an attachment of the thread, spilling onto overflow
    // pages, deleted; then another thread's rows take the freed pages over.
    const codex = new Database(state);
    codex.pragma('secure_delete = OFF');
    codex
      .prepare(
        `INSERT INTO thread_attachments (id, thread_id, attachment_type, identity_key, payload, created_at)
         VALUES ('old', ?, 'file', 'k', ?, 1)`,
      )
      .run(h.parent, `${stale} `.repeat(600));
    codex.prepare(`DELETE FROM thread_attachments WHERE id = 'old'`).run();
    const freed = codex.pragma('freelist_count', { simple: true }) as number;
    const tools = codex.prepare(
      `INSERT INTO thread_dynamic_tools (thread_id, position, name, description, input_schema)
       VALUES (?, ?, 'tool', ?, '{}')`,
    );
    for (let i = 0; (codex.pragma('freelist_count', { simple: true }) as number) > 0; i++)
      tools.run(h.kept, 1000 + i, 'd'.repeat(1500));
    codex.pragma('wal_checkpoint(TRUNCATE)');
    // Which b-tree each page holding the stale text belongs to (dbstat: page number -> name).
    const owners = new Map(
      codex
        .prepare<[], { name: string; pageno: number }>('SELECT name, pageno FROM dbstat')
        .all()
        .map((r) => [r.pageno, r.name]),
    );
    const pageSize = codex.pragma('page_size', { simple: true }) as number;
    codex.close();
    const file = readFileSync(state);
    const holders = new Set<string>();
    for (let at = file.indexOf(stale); at >= 0; at = file.indexOf(stale, at + 1))
      holders.add(owners.get(Math.floor(at / pageSize) + 1) ?? 'free');
    // Not in a free page (there are none left), yet in the file: in the unused space of a page
    // another table took over, which SQLite does not zero when it reuses a page without secure_delete.
    expect(freed).toBeGreaterThan(0);
    expect(filesContaining(h.dir, stale)).toEqual([state]);
    expect(holders).toContain('thread_dynamic_tools');
    expect(holders).not.toContain('free');
    // So no scrub of the free pages alone reaches it: the purge's VACUUM does.
    purgeThreadRows(state, h.doomed);
    expect(filesContaining(h.dir, stale)).toEqual([]);
  });

  it('deletes what a delete trigger writes back, into a table already purged in that round', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codex-db-'));
    const path = join(dir, 'queue_9.sqlite');
    const db = new Database(path);
    // The trigger's table comes first: purged before the delete that writes into it.
    db.exec(`
      CREATE TABLE revisions (thread_id TEXT NOT NULL, revision INTEGER NOT NULL);
      CREATE TABLE items (thread_id TEXT NOT NULL, payload TEXT NOT NULL);
      CREATE TRIGGER items_after_delete AFTER DELETE ON items
        BEGIN INSERT INTO revisions VALUES (old.thread_id, 1); END;
      INSERT INTO items VALUES ('doomed', 'a'), ('doomed', 'b'), ('kept', 'c');
    `);
    db.close();
    const rows = purgeThreadRows(path, [{ threadId: 'doomed', rolloutPaths: [] }]);
    expect(rowsOf(path, 'doomed')).toBe(0);
    expect(rowsOf(path, 'kept')).toBe(1);
    expect(rows.get('doomed')).toEqual([
      { table: 'items', rows: 2 },
      { table: 'revisions', rows: 2 },
    ]);
  });

  it('is not done while another connection holds a read transaction: busy, then complete once it lets go', () => {
    const h = home();
    const state = join(h.dir, 'state_5.sqlite');
    const reader = new Database(state, { readonly: true });
    reader.prepare('BEGIN').run();
    reader.prepare('SELECT count(*) FROM threads').get();
    expect(() => purgeThreadRows(state, h.doomed)).toThrow(DatabaseBusyError);
    const value = h.seeded.values
      .get(h.parent)!
      .find((v) => v.startsWith('threads.first_user_message'))!;
    expect(filesContaining(h.dir, value)).not.toEqual([]); // the reader's snapshot still holds it
    reader.prepare('COMMIT').run();
    reader.close();
    purgeThreadRows(state, h.doomed);
    expect(filesContaining(h.dir, value)).toEqual([]);
  });

  it('fails as busy, changing nothing, while Codex holds the write lock', () => {
    const h = home();
    const state = join(h.dir, 'state_5.sqlite');
    const writer = new Database(state);
    writer.prepare('BEGIN IMMEDIATE').run();
    expect(() => purgeThreadRows(state, h.doomed)).toThrow(/locked/);
    writer.prepare('ROLLBACK').run();
    writer.close();
    expect(rowsOf(state, h.parent)).toBeGreaterThan(0);
  });

  it('refuses a symlink in place of a database, and treats a missing one as empty', () => {
    const h = home();
    const missing = join(h.dir, 'goals_9.sqlite');
    expect(purgeThreadRows(missing, h.doomed).get(h.parent)).toEqual([]);
    const outside = join(mkdtempSync(join(tmpdir(), 'victim-')), 'state_5.sqlite');
    seedCodexDatabases(dirname(outside), [{ id: h.parent, parent: null, rolloutPath: '/x' }]);
    symlinkSync(outside, join(h.dir, 'state_7.sqlite'));
    expect(() => purgeThreadRows(join(h.dir, 'state_7.sqlite'), h.doomed)).toThrow(
      /not a regular file/,
    );
    expect(rowsOf(outside, h.parent)).toBeGreaterThan(0);
    expect(codexDatabasesIn(h.dir)).not.toContain(join(h.dir, 'state_7.sqlite'));
  });
});
