import type Database from 'better-sqlite3';

/** Statements kept per database: a query's shapes (its filters, not their values) are few. */
const KEPT = 64;

const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * A prepared statement for a query built at call time, prepared once per database and SQL text
 * (preparing was 4% of a `thread/list` in its profile). SQLite prepares it again by itself when
 * the schema changes (a rebuild's swap). The oldest shape is dropped past `KEPT`.
 */
export const cachedStatement = <P extends unknown[], R>(
  db: Database.Database,
  sql: string,
): Database.Statement<P, R> => {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let stmt = cache.get(sql);
  if (stmt) {
    cache.delete(sql); // most recently used last
  } else {
    stmt = db.prepare(sql);
    if (cache.size >= KEPT) cache.delete(cache.keys().next().value!);
  }
  cache.set(sql, stmt);
  return stmt as unknown as Database.Statement<P, R>;
};
