import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import * as E from 'fp-ts/lib/Either.js';
import type { LogEntry, StoredRecord } from '../../evidence/entry.js';
import { ENTRY_PAGE, entryPagesOf } from '../entryPages.js';
import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  RecordedEvent,
  Subscription,
  WrongExpectedVersion,
} from '../eventStore.js';
import { followLog } from '../followLog.js';
import { RECORD_PAGE, recordPagesOf } from '../recordPages.js';
import { readEntryPagesAhead } from './entryPagesAhead.js';
import { ENTRY_SQL } from './entrySql.js';
import { readRecordPagesAhead } from './recordPagesAhead.js';

/**
 * An event row as read back: arrays rather than row objects, since the log is read in bulk by every
 * catch-up and rebuild. `COLUMNS` and `toRecorded` are the one mapping of a row.
 */
type Row = [number, string, number, string, string, string, string];
const COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata';

type GroupResult = E.Either<WrongExpectedVersion, AppendResult> | { failed: unknown };

type Pending = {
  streamId: string;
  events: readonly EventToAppend[];
  expected: ExpectedRevision;
  resolve: (r: E.Either<WrongExpectedVersion, AppendResult>) => void;
  reject: (e: unknown) => void;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY,            -- the global order: assigned inside the one writer's transaction
  stream_id TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  event_id  TEXT    NOT NULL UNIQUE,
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  UNIQUE (stream_id, revision)
);
CREATE TABLE IF NOT EXISTS streams (
  stream_id TEXT PRIMARY KEY,
  revision  INTEGER NOT NULL               -- revision of the stream's last event
) WITHOUT ROWID;
`;

export type SqliteEventStoreOptions = {
  /** How often a subscriber looks for events written by another process. */
  readonly pollMs?: number;
};

/**
 * The embedded event store: one SQLite file in WAL mode with synchronous=FULL, so a commit is on
 * disk (the WAL is fsynced) before an append resolves. Appends issued in the same turn of the
 * event loop are committed together in one transaction (group commit), each still checked
 * against its own expected revision, so many concurrent appends cost one fsync.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly appended = new EventEmitter();
  private queue: Pending[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly pollMs: number;
  /** Transactions this connection committed: SQLite's data_version counts only the others'. */
  private commits = 0;
  private readonly stmt;
  /**
   * A group of appends in one transaction (made once: better-sqlite3 builds one at a cost), and
   * the same with each append in its own savepoint, for a group in which one fails.
   */
  private readonly commitGroup: Database.Transaction<(batch: Pending[]) => GroupResult[]>;
  private readonly commitEach: Database.Transaction<(batch: Pending[]) => GroupResult[]>;

  constructor(
    private readonly file: string,
    opts: SqliteEventStoreOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 50;
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    // 64 MiB of page cache: the (stream, revision) and event id indexes are keyed by random UUIDs,
    // so at a few hundred thousand streams the default 2 MiB cache misses on nearly every append.
    this.db.pragma('cache_size = -65536');
    this.db.exec(SCHEMA);
    this.appended.setMaxListeners(0);
    this.stmt = {
      streamRevision: this.db.prepare<[string], { revision: number }>(
        'SELECT revision FROM streams WHERE stream_id = ?',
      ),
      eventById: this.db.prepare<
        [string],
        { stream_id: string; revision: number; position: number }
      >('SELECT stream_id, revision, position FROM events WHERE event_id = ?'),
      insert: this.db.prepare(
        'INSERT INTO events (stream_id, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      setRevision: this.db.prepare(
        'INSERT INTO streams (stream_id, revision) VALUES (?, ?) ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision',
      ),
      readStream: this.db
        .prepare<[string, number, number], Row>(
          `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`,
        )
        .raw(true),
      readAll: this.db
        .prepare<[number, number], Row>(
          `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
        )
        .raw(true),
      head: this.db.prepare<[], { p: number | null }>('SELECT MAX(position) AS p FROM events'),
      dataVersion: this.db.prepare<[], number>('PRAGMA data_version').pluck(),
      readEntries: this.db
        .prepare<[number, number], [number, string]>(`SELECT position, ${ENTRY_SQL} FROM events
          WHERE position > ? ORDER BY position LIMIT ?`)
        .raw(true),
    };
    this.commitGroup = this.db.transaction((batch: Pending[]) =>
      batch.map((p) => this.appendOne(p)),
    );
    // Each append in its own savepoint: one that fails is rolled back and rejected alone; the
    // others of the group still commit.
    const one = this.db.transaction((p: Pending) => this.appendOne(p));
    this.commitEach = this.db.transaction((batch: Pending[]) =>
      batch.map((p) => {
        try {
          return one(p);
        } catch (failed) {
          return { failed };
        }
      }),
    );
  }

  append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<E.Either<WrongExpectedVersion, AppendResult>> {
    if (this.closed) return Promise.reject(new Error('event store is closed'));
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, events, expected, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.flushScheduled = false;
    let results: GroupResult[];
    try {
      try {
        results = this.commitGroup.immediate(batch);
      } catch (err) {
        // One append failed (say, an event id used on another stream): the group is rolled back
        // and written again, each append in its own savepoint, so that it alone is rejected.
        // The database itself failing (busy, full, I/O) fails the group, as before.
        if (err instanceof Database.SqliteError && !err.code.startsWith('SQLITE_CONSTRAINT'))
          throw err;
        results = this.commitEach.immediate(batch);
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    this.commits++;
    batch.forEach((p, i) => {
      const r = results[i]!;
      if ('failed' in r) p.reject(r.failed);
      else p.resolve(r);
    });
    if (results.some((r) => !('failed' in r) && E.isRight(r))) this.appended.emit('appended');
  }

  /** Runs inside the group's transaction. */
  private appendOne({
    streamId,
    events,
    expected,
  }: Pending): E.Either<WrongExpectedVersion, AppendResult> {
    const row = this.stmt.streamRevision.get(streamId);
    // A retry of an append that already committed (same event ids) succeeds without writing. A
    // stream not yet written holds no such events: a new thread's start skips the lookup.
    const first = row === undefined ? undefined : this.stmt.eventById.get(events[0]!.id);
    if (first && first.stream_id === streamId) {
      const last = this.stmt.eventById.get(events[events.length - 1]!.id);
      if (last)
        return E.right({
          nextExpectedRevision: BigInt(last.revision),
          position: BigInt(last.position),
        });
    }
    const actual = row === undefined ? 'no_stream' : BigInt(row.revision);
    const asExpected =
      expected === 'any' ||
      (expected === 'no_stream' && actual === 'no_stream') ||
      (expected === 'stream_exists' && actual !== 'no_stream') ||
      (typeof expected === 'bigint' && actual === expected);
    if (!asExpected) return E.left({ kind: 'WrongExpectedVersion', streamId, expected, actual });
    let revision = actual === 'no_stream' ? 0 : Number(actual) + 1;
    let position = 0;
    for (const e of events) {
      const info = this.stmt.insert.run(
        streamId,
        revision,
        e.id,
        e.type,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata),
      );
      position = Number(info.lastInsertRowid);
      revision++;
    }
    this.stmt.setRevision.run(streamId, revision - 1);
    return E.right({ nextExpectedRevision: BigInt(revision - 1), position: BigInt(position) });
  }

  async readStream(
    streamId: string,
    opts: { fromRevision?: bigint; maxCount?: number } = {},
  ): Promise<RecordedEvent[]> {
    const rows = this.stmt.readStream.all(
      streamId,
      Number(opts.fromRevision ?? 0n),
      opts.maxCount ?? -1,
    );
    return rows.map(toRecorded);
  }

  async readAll(opts: ReadAllOptions): Promise<RecordedEvent[]> {
    const rows = this.stmt.readAll.all(opts.after === null ? 0 : Number(opts.after), opts.maxCount);
    return rows.map(toRecorded);
  }

  async readStored(opts: ReadAllOptions): Promise<StoredRecord[]> {
    const rows = this.stmt.readAll.all(opts.after === null ? 0 : Number(opts.after), opts.maxCount);
    return rows.map(([position, streamId, revision, id, type, dataJson, metadataJson]) => ({
      streamId,
      revision: BigInt(revision),
      id,
      type,
      position: BigInt(position),
      dataJson,
      metadataJson,
    }));
  }

  async readEntries(opts: ReadAllOptions): Promise<LogEntry[]> {
    const rows = this.stmt.readEntries.all(
      opts.after === null ? 0 : Number(opts.after),
      opts.maxCount,
    );
    return rows.map(([position, entry]) => ({ position: BigInt(position), entry }));
  }

  /** Read ahead by a worker thread, but for a database only this connection can see. */
  entryPages(after: bigint | null): AsyncIterable<readonly LogEntry[]> {
    if (this.closed) throw new Error('event store is closed');
    return this.inMemory()
      ? entryPagesOf(this, after)
      : readEntryPagesAhead(this.file, after, ENTRY_PAGE);
  }

  /** Read ahead and hashed by a worker thread, but for a database only this connection can see. */
  recordPages(after: bigint | null): AsyncIterable<readonly RecordedEvent[]> {
    if (this.closed) throw new Error('event store is closed');
    return this.inMemory()
      ? recordPagesOf(this, after)
      : readRecordPagesAhead(this.file, after, RECORD_PAGE);
  }

  private inMemory(): boolean {
    return this.file === '' || this.file === ':memory:' || this.file.startsWith('file:');
  }

  async headPosition(): Promise<bigint | null> {
    const { p } = this.stmt.head.get()!;
    return p === null ? null : BigInt(p);
  }

  logVersion(): string {
    if (this.closed) throw new Error('event store is closed');
    return `${this.stmt.dataVersion.get()}:${this.commits}`;
  }

  subscribeToAll(opts: { after: bigint | null }): Subscription {
    return followLog(this, opts.after, (wake) => {
      this.appended.on('appended', wake);
      const timer = setInterval(wake, this.pollMs);
      return () => {
        this.appended.off('appended', wake);
        clearInterval(timer);
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.queue.length > 0) this.flush();
    this.closed = true;
    this.appended.emit('appended');
    this.db.close();
  }
}

const toRecorded = ([
  position,
  streamId,
  revision,
  id,
  type,
  data,
  metadata,
]: Row): RecordedEvent => ({
  id,
  streamId,
  type,
  revision: BigInt(revision),
  position: BigInt(position),
  data: JSON.parse(data),
  metadata: JSON.parse(metadata),
  json: { data, metadata },
});
