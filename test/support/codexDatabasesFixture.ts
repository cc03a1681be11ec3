import Database from 'better-sqlite3';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const SCHEMAS = join(import.meta.dirname, '..', 'fixtures', 'codex-sqlite');

type Column = { name: string; type: string; notnull: number; pk: number };

/** Values a CHECK constraint of Codex's schemas insists on. */
const CHECKED: Record<string, string> = { 'thread_goals.status': 'active' };

/** Every column of every table that holds a thread's rows: where a thread's id goes. */
const threadColumn = (table: string, cols: Column[]): string[] =>
  cols
    .filter((c) => (table === 'threads' && c.name === 'id') || c.name === 'thread_id' || c.name === 'parent_thread_id' || c.name === 'child_thread_id')
    .map((c) => c.name);

export type SeededDatabases = {
  /** Every text value seeded for a thread (what must be unreadable once it is deleted). */
  readonly values: Map<string, string[]>;
  /** Rows per table per thread, as seeded. */
  readonly files: string[];
};

/**
 * Codex's five databases in a home, made from its 0.169.0 schemas in WAL mode as Codex keeps
 * them, with rows in every per-thread table for each thread: every text column holds a value
 * unique to its thread, table and column (`<table>.<column>:<id>:<marker>`), and a few were
 * written twice, as Codex updates a thread's preview and title, so that older copies sit in
 * the files' free space too.
 */
export const seedCodexDatabases = (
  home: string,
  threads: readonly { id: string; parent: string | null; rolloutPath: string }[],
): SeededDatabases => {
  const values = new Map<string, string[]>(threads.map((t) => [t.id, []]));
  const files: string[] = [];
  for (const schemaFile of readdirSync(SCHEMAS).filter((f) => f.endsWith('.sql')).sort()) {
    const path = join(home, schemaFile.replace(/\.sql$/, '.sqlite'));
    files.push(path);
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = OFF'); // tables are filled in schema order, not in reference order
    db.exec(readFileSync(join(SCHEMAS, schemaFile), 'utf8'));
    const tables = db
      .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations'`)
      .all()
      .map((r) => r.name);
    for (const table of tables) {
      const cols = db.prepare<[string], Column>('SELECT name, type, "notnull", pk FROM pragma_table_info(?)').all(table);
      const idCols = threadColumn(table, cols);
      if (idCols.length === 0) continue;
      // OR IGNORE: a trigger may have written the row already (queue_1's revisions).
      const insert = db.prepare(`INSERT OR IGNORE INTO "${table}" (${cols.map((c) => `"${c.name}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
      threads.forEach((t) => {
        if (table === 'thread_spawn_edges' && t.parent === null) return;
        const row = cols.map((c) => {
          if (c.name === 'id' && table === 'threads') return t.id;
          if (c.name === 'thread_id' || c.name === 'child_thread_id') return t.id;
          if (c.name === 'parent_thread_id') return t.parent ?? t.id;
          if (c.name === 'rollout_path') return t.rolloutPath;
          const checked = CHECKED[`${table}.${c.name}`];
          if (checked) return checked;
          if (c.type.toUpperCase() === 'INTEGER' && c.pk && cols.filter((k) => k.pk).length === 1) return null; // a rowid: SQLite numbers it
          if (/INT|BOOL/i.test(c.type)) return 1;
          const text = `${table}.${c.name}:${t.id}:seeded`;
          values.get(t.id)!.push(text);
          return /BLOB/i.test(c.type) ? Buffer.from(text) : text;
        });
        insert.run(...row);
      });
    }
    if (tables.includes('threads')) {
      // As Codex does while a session runs: the preview and title are written again.
      const update = db.prepare('UPDATE threads SET preview = ?, title = ? WHERE id = ?');
      for (const t of threads) {
        for (const round of [1, 2]) {
          // Each longer than the last, so SQLite moves the row instead of writing it in place.
          const grow = ' '.repeat(200 * round);
          const preview = `threads.preview:${t.id}:update-${round}${grow}`;
          const title = `threads.title:${t.id}:update-${round}${grow}`;
          values.get(t.id)!.push(preview, title);
          update.run(preview, title, t.id);
        }
      }
    }
    db.close();
  }
  return { values, files };
};

/** Every file under a folder whose bytes contain `needle`, as `grep -a -r -l` would find them. */
export const filesContaining = (root: string, needle: string): string[] => {
  const hits: string[] = [];
  const want = Buffer.from(needle);
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(want)) hits.push(p);
    }
  };
  walk(root);
  return hits;
};
