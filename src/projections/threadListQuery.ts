import type Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { nullable, SourceKind } from '../domain/events.js';
import { MAX_NAME_LENGTH } from '../domain/threadDecider.js';
import { cachedStatement } from './statementCache.js';

/** The thread list filters, sorting and paging, with `thread/list`'s names and defaults. */
export const ThreadListParams = t.partial({
  archived: nullable(t.boolean),
  sourceKinds: nullable(t.array(SourceKind)),
  cwd: nullable(t.union([t.string, t.array(t.string)])),
  modelProviders: nullable(t.array(t.string)),
  searchTerm: nullable(t.string),
  sortKey: nullable(t.keyof({ created_at: null, updated_at: null })),
  sortDirection: nullable(t.keyof({ asc: null, desc: null })),
  limit: nullable(t.Int),
  cursor: nullable(t.string),
  excludedThreadIds: nullable(t.array(t.string)),
  originators: nullable(t.array(t.string)),
});
export type ThreadListParams = t.TypeOf<typeof ThreadListParams>;

/** With no source kinds asked for, Codex lists interactive threads only. */
export const INTERACTIVE_SOURCE_KINDS: readonly SourceKind[] = ['cli', 'vscode'];
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1000;

export type ThreadRow = {
  thread_id: string;
  session_id: string;
  parent_thread_id: string | null;
  depth: number;
  source_kind: SourceKind;
  cwd: string;
  model_provider: string;
  originator: string | null;
  cli_version: string | null;
  git_info: string | null;
  rollout_path: string | null;
  preview: string | null;
  name: string | null;
  created_at: number;
  updated_at: number;
  archived: 0 | 1;
  codex: string | null;
  /** Counts the row's changes: a thread's id and rev name one content of its row. */
  rev: number;
};

/** The row's columns, in the order `threadRowOf` reads them. */
export const THREAD_ROW_KEYS = [
  'thread_id',
  'session_id',
  'parent_thread_id',
  'depth',
  'source_kind',
  'cwd',
  'model_provider',
  'originator',
  'cli_version',
  'git_info',
  'rollout_path',
  'preview',
  'name',
  'created_at',
  'updated_at',
  'archived',
  'codex',
  'rev',
] as const satisfies readonly (keyof ThreadRow)[];
const THREAD_COLUMNS = THREAD_ROW_KEYS.join(', ');

/**
 * A row read as an array (`raw`) made an object here: better-sqlite3 builds a row object key by
 * key, which was half of a list's query time (0.58 against 0.30 ms for 51 rows, measured).
 */
const threadRowOf = (r: unknown[]): ThreadRow => ({
  thread_id: r[0] as string,
  session_id: r[1] as string,
  parent_thread_id: r[2] as string | null,
  depth: r[3] as number,
  source_kind: r[4] as SourceKind,
  cwd: r[5] as string,
  model_provider: r[6] as string,
  originator: r[7] as string | null,
  cli_version: r[8] as string | null,
  git_info: r[9] as string | null,
  rollout_path: r[10] as string | null,
  preview: r[11] as string | null,
  name: r[12] as string | null,
  created_at: r[13] as number,
  updated_at: r[14] as number,
  archived: r[15] as 0 | 1,
  codex: r[16] as string | null,
  rev: r[17] as number,
});

/** `backwardsCursor`: with the opposite direction, pages back from the first row of this page. */
export type Page<R> = {
  rows: R[];
  nextCursor: string | null;
  backwardsCursor: string | null;
};
export type ThreadPage = Page<ThreadRow>;
/** A listed thread named by its id and rev, with its place in the order (its sort key's value). */
export type ThreadRevision = { thread_id: string; rev: number; sort_value: number };
export const MAX_EXCLUDED = 100;
/** Lists up to this long are bound value by value; longer ones go through json_each. */
const BOUND_LIST_MAX = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `field` and `reason`: a documented limit the request is over (JSON-RPC -32602, HTTP 400 naming it). */
export type ListError = {
  kind: 'InvalidListParams';
  message: string;
  field?: string;
  reason?: string;
};

/**
 * The longest `searchTerm`: a name is at most MAX_NAME_LENGTH characters, so a longer term matches
 * nothing (and SQLite refuses LIKE patterns over 50,000 bytes).
 */
export const MAX_SEARCH_TERM_LENGTH = MAX_NAME_LENGTH;

const Cursor = t.tuple([
  t.keyof({ created_at: null, updated_at: null }),
  t.keyof({ asc: null, desc: null }),
  t.number,
  t.string,
]);

const encodeCursor = (c: t.TypeOf<typeof Cursor>): string =>
  Buffer.from(JSON.stringify(c)).toString('base64url');

const decodeCursor = (s: string): t.TypeOf<typeof Cursor> | null => {
  try {
    const c = Cursor.decode(JSON.parse(Buffer.from(s, 'base64url').toString('utf8')));
    return E.isRight(c) ? c.right : null;
  } catch {
    return null;
  }
};

const bad = (message: string): E.Either<ListError, never> =>
  E.left({ kind: 'InvalidListParams', message });
const overLimit = (field: string, reason: string): E.Either<ListError, never> =>
  E.left({ kind: 'InvalidListParams', message: `${field} ${reason}`, field, reason });

/** A list's query without its columns: the filters, the order and the page's size. */
type ListPlan = {
  where: string;
  args: unknown[];
  sortKey: 'created_at' | 'updated_at';
  dir: 'asc' | 'desc';
  limit: number;
};

const planList = (raw: unknown): E.Either<ListError, ListPlan> => {
  const decoded = ThreadListParams.decode(raw ?? {});
  if (E.isLeft(decoded)) return bad(PathReporter.report(decoded).join('; '));
  const p = decoded.right;
  const sortKey = p.sortKey ?? 'created_at';
  const dir = p.sortDirection ?? 'desc';
  const limit = p.limit ?? DEFAULT_LIMIT;
  if (limit < 1 || limit > MAX_LIMIT)
    return bad(`limit must be between 1 and ${MAX_LIMIT}, got ${limit}`);
  // As Codex's local app-server: an originator filter is for hosted backends only.
  if (p.originators && p.originators.length > 0)
    return bad('originators filter is not supported by a local thread store');
  const excluded = p.excludedThreadIds ?? [];
  if (excluded.length > MAX_EXCLUDED)
    return bad(`excludedThreadIds takes at most ${MAX_EXCLUDED} ids, got ${excluded.length}`);
  const invalid = excluded.find((id) => !UUID.test(id));
  if (invalid !== undefined) return bad(`excludedThreadIds: invalid thread id "${invalid}"`);

  if (p.searchTerm && p.searchTerm.length > MAX_SEARCH_TERM_LENGTH) {
    return overLimit(
      'searchTerm',
      `must be at most ${MAX_SEARCH_TERM_LENGTH} characters, got ${p.searchTerm.length}`,
    );
  }

  const where = ['archived = ?'];
  const args: unknown[] = [p.archived ? 1 : 0];
  // A short list binds each value (the planner's fastest form); a long one is one parameter (JSON,
  // read by json_each), however long: no SQLite variable limit.
  const inList = (col: string, values: readonly string[], not = false) => {
    const op = not ? 'NOT IN' : 'IN';
    if (values.length <= BOUND_LIST_MAX) {
      where.push(`${col} ${op} (${values.map(() => '?').join(', ')})`);
      args.push(...values);
    } else {
      where.push(`${col} ${op} (SELECT value FROM json_each(?))`);
      args.push(JSON.stringify(values));
    }
  };
  inList(
    'source_kind',
    p.sourceKinds && p.sourceKinds.length > 0 ? p.sourceKinds : INTERACTIVE_SOURCE_KINDS,
  );
  if (p.cwd != null) inList('cwd', typeof p.cwd === 'string' ? [p.cwd] : p.cwd);
  if (p.modelProviders && p.modelProviders.length > 0) inList('model_provider', p.modelProviders);
  if (excluded.length > 0)
    inList(
      'thread_id',
      excluded.map((id) => id.toLowerCase()),
      true,
    );
  if (p.searchTerm) {
    where.push("name LIKE ? ESCAPE '\\'");
    args.push(`%${p.searchTerm.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (p.cursor != null) {
    const c = decodeCursor(p.cursor);
    if (c === null) return bad('cursor is not one this server issued');
    if (c[0] !== sortKey || c[1] !== dir)
      return bad(`cursor was issued for sortKey ${c[0]} ${c[1]}, not ${sortKey} ${dir}`);
    where.push(`(${sortKey}, thread_id) ${dir === 'desc' ? '<' : '>'} (?, ?)`);
    args.push(c[2], c[3]);
  }
  return E.right({ where: where.join(' AND '), args, sortKey, dir, limit });
};

/** Runs a list's query for these columns: one more row than the page, to tell if there is a next. */
const pageOf = <R>(
  db: Database.Database,
  plan: ListPlan,
  columns: string,
  rowOf: (r: unknown[]) => R,
  placeOf: (r: R) => [number, string],
): Page<R> => {
  const { where, args, sortKey, dir, limit } = plan;
  const order = dir === 'desc' ? 'DESC' : 'ASC';
  const sql = `SELECT ${columns} FROM threads WHERE ${where} ORDER BY ${sortKey} ${order}, thread_id ${order} LIMIT ?`;
  const rows = cachedStatement<unknown[], unknown[]>(db, sql)
    .raw(true)
    .all(...args, limit + 1)
    .map(rowOf);
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  const first = page[0];
  const back = dir === 'desc' ? 'asc' : 'desc';
  return {
    rows: page,
    nextCursor: more && last ? encodeCursor([sortKey, dir, ...placeOf(last)]) : null,
    backwardsCursor: first ? encodeCursor([sortKey, back, ...placeOf(first)]) : null,
  };
};

/**
 * Keyset pagination on (sort key, thread id): a cursor names the last row seen, so threads
 * created or deleted while paging never shift a page. Nothing present throughout is skipped or
 * repeated; a thread whose `updated_at` changes mid-way moves to its new place in that order.
 */
export const listThreads = (db: Database.Database, raw: unknown): E.Either<ListError, ThreadPage> =>
  E.map((plan: ListPlan) =>
    pageOf(db, plan, THREAD_COLUMNS, threadRowOf, (r) => [r[plan.sortKey], r.thread_id]),
  )(planList(raw));

/**
 * The same page as `listThreads`, each thread named by its id and rev only: read from the list's
 * index alone when no filter needs another column (see the thread list's indexes).
 */
export const listThreadRevisions = (
  db: Database.Database,
  raw: unknown,
): E.Either<ListError, Page<ThreadRevision>> =>
  E.map((plan: ListPlan) =>
    pageOf(
      db,
      plan,
      `thread_id, rev, ${plan.sortKey}`,
      (r): ThreadRevision => ({
        thread_id: r[0] as string,
        rev: r[1] as number,
        sort_value: r[2] as number,
      }),
      (r) => [r.sort_value, r.thread_id],
    ),
  )(planList(raw));

/** The rows of these threads, those still listed (in no particular order). */
export const threadRows = (db: Database.Database, ids: readonly string[]): ThreadRow[] =>
  cachedStatement<[string], unknown[]>(
    db,
    `SELECT ${THREAD_COLUMNS} FROM threads WHERE thread_id IN (SELECT value FROM json_each(?))`,
  )
    .raw(true)
    .all(JSON.stringify(ids))
    .map(threadRowOf);
