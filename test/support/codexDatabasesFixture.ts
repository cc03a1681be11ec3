import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const SCHEMAS = join(import.meta.dirname, '..', 'fixtures', 'codex-sqlite');

type Column = { name: string; type: string; notnull: number; pk: number };

/** Values a CHECK constraint of Codex's schemas insists on. */
const CHECKED: Record<string, string> = { 'thread_goals.status': 'active' };

/** Every column of every table that holds a thread's rows: where a thread's id goes. */
const threadColumn = (table: string, cols: Column[]): string[] =>
  cols
    .filter(
      (c) =>
        (table === 'threads' && c.name === 'id') ||
        c.name === 'thread_id' ||
        c.name === 'parent_thread_id' ||
        c.name === 'child_thread_id',
    )
    .map((c) => c.name);

export type SeededDatabases = {
  /** Every text value seeded for a thread (what must be unreadable once it is deleted). */
  readonly values: Map<string, string[]>;
  /** Rows per table per thread, as seeded. */
  readonly files: string[];
};

/**
 * How the databases are seeded beyond the tests' default (a row per thread per table, each text
 * value its unique prefix alone): the bench's realistic home.
 */
export type SeedProfile = {
  /** Rows per thread of a table that can hold several (`logs`, `thread_dynamic_tools`, ...); 1 if absent. */
  readonly rowsPerThread?: Readonly<Record<string, number>>;
  /**
   * Length in bytes of a text value of `table.column`: its unique prefix, padded; the prefix alone
   * if absent. A length shorter than the prefix gives filler of that length, the same for every
   * thread (a `source` of 3 bytes, a `model_provider` of 6): only for columns that are no key.
   */
  readonly textBytes?: (table: string, column: string) => number | undefined;
  /** Bytes each of the two updates of a thread's preview and title adds (200 if absent). */
  readonly updateGrowth?: number;
  /**
   * The databases exist already, as Codex created them (its migrations recorded): rows are added
   * to them, their schema is not run. Rows Codex wrote (its backfilled `threads`) are kept, and
   * their preview and title updated as below.
   */
  readonly existing?: boolean;
  /** Codex 0.169.0 creates its databases with `auto_vacuum = INCREMENTAL` (measured). */
  readonly autoVacuum?: 'none' | 'incremental';
  /** Keep every seeded value in `values` (the tests' check); the bench's 10k threads need not. */
  readonly keepValues?: boolean;
  /** One transaction per table and no fsync: how 10k threads are seeded in a second or two. */
  readonly bulk?: boolean;
};

/** Filler text that pads a value to its size: words, as log lines and messages are. */
const FILLER =
  ' lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.';
const filler = (bytes: number): string =>
  FILLER.repeat(Math.ceil(bytes / FILLER.length)).slice(0, bytes);
const pad = (text: string, bytes: number | undefined): string => {
  if (bytes === undefined || bytes === text.length) return text;
  return bytes < text.length ? filler(bytes) : text + filler(bytes - text.length);
};

/**
 * Codex's five databases in a home, made from its 0.169.0 schemas in WAL mode as Codex keeps
 * them, with rows in every per-thread table for each thread: every text column holds a value
 * unique to its thread, table and column (`<table>.<column>:<id>:<marker>`), and a few were
 * written twice, as Codex updates a thread's preview and title, so that older copies sit in
 * the files' free space too. A profile gives the bench realistic sizes (several rows per thread
 * where a table allows it, values padded to a size) and seeds 10k threads quickly.
 */
export const seedCodexDatabases = (
  home: string,
  threads: readonly { id: string; parent: string | null; rolloutPath: string }[],
  profile: SeedProfile = {},
): SeededDatabases => {
  const keep = profile.keepValues ?? true;
  const values = new Map<string, string[]>(keep ? threads.map((t) => [t.id, []]) : []);
  const remember = (id: string, ...texts: string[]) => {
    if (keep) values.get(id)!.push(...texts);
  };
  const files: string[] = [];
  for (const schemaFile of readdirSync(SCHEMAS)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    const path = join(home, schemaFile.replace(/\.sql$/, '.sqlite'));
    files.push(path);
    const db = new Database(path, { fileMustExist: profile.existing === true });
    if (profile.autoVacuum === 'incremental' && !profile.existing)
      db.pragma('auto_vacuum = INCREMENTAL'); // before the first table
    db.pragma('journal_mode = WAL');
    if (profile.bulk) db.pragma('synchronous = OFF');
    db.pragma('foreign_keys = OFF'); // tables are filled in schema order, not in reference order
    if (!profile.existing) db.exec(readFileSync(join(SCHEMAS, schemaFile), 'utf8'));
    const inOne = (fn: () => void) => (profile.bulk ? db.transaction(fn)() : fn());
    const tables = db
      .prepare<[], { name: string }>(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations'`,
      )
      .all()
      .map((r) => r.name);
    for (const table of tables) {
      const cols = db
        .prepare<[string], Column>('SELECT name, type, "notnull", pk FROM pragma_table_info(?)')
        .all(table);
      const idCols = threadColumn(table, cols);
      if (idCols.length === 0) continue;
      // Several rows per thread only where the thread's id alone is not the key.
      const keyedByThread =
        cols.some((c) => c.pk && (c.name === 'thread_id' || c.name === 'child_thread_id')) &&
        cols.filter((c) => c.pk).length === 1;
      const perThread =
        table === 'threads' || keyedByThread ? 1 : (profile.rowsPerThread?.[table] ?? 1);
      // OR IGNORE: a trigger may have written the row already (queue_1's revisions).
      const insert = db.prepare(
        `INSERT OR IGNORE INTO "${table}" (${cols.map((c) => `"${c.name}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
      );
      inOne(() =>
        threads.forEach((t) => {
          if (table === 'thread_spawn_edges' && t.parent === null) return;
          for (let k = 0; k < perThread; k++) {
            const marker = k === 0 ? 'seeded' : `seeded-${k}`;
            const row = cols.map((c) => {
              if (c.name === 'id' && table === 'threads') return t.id;
              if (c.name === 'thread_id' || c.name === 'child_thread_id') return t.id;
              if (c.name === 'parent_thread_id') return t.parent ?? t.id;
              if (c.name === 'rollout_path') return t.rolloutPath;
              const checked = CHECKED[`${table}.${c.name}`];
              if (checked) return checked;
              if (
                c.type.toUpperCase() === 'INTEGER' &&
                c.pk &&
                cols.filter((p) => p.pk).length === 1
              )
                return null; // a rowid: SQLite numbers it
              if (/INT|BOOL/i.test(c.type)) return k + 1; // distinct per row where a position is part of a key
              const text = pad(
                `${table}.${c.name}:${t.id}:${marker}`,
                profile.textBytes?.(table, c.name),
              );
              remember(t.id, text);
              return /BLOB/i.test(c.type) ? Buffer.from(text) : text;
            });
            insert.run(...row);
          }
        }),
      );
    }
    if (tables.includes('threads')) {
      // As Codex does while a session runs: the preview and title are written again.
      const update = db.prepare('UPDATE threads SET preview = ?, title = ? WHERE id = ?');
      inOne(() => {
        for (const t of threads) {
          for (const round of [1, 2]) {
            // Each longer than the last, so SQLite moves the row instead of writing it in place.
            const grow = ' '.repeat((profile.updateGrowth ?? 200) * round);
            const preview = `${pad(`threads.preview:${t.id}:update-${round}`, profile.textBytes?.('threads', 'preview'))}${grow}`;
            const title = `${pad(`threads.title:${t.id}:update-${round}`, profile.textBytes?.('threads', 'title'))}${grow}`;
            remember(t.id, preview, title);
            update.run(preview, title, t.id);
          }
        }
      });
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
