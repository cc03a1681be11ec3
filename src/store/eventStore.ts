import type * as E from 'fp-ts/lib/Either.js';
import type { LogEntry, StoredRecord } from '../evidence/entry.js';

/**
 * The event store port. It mirrors EventStoreDB / KurrentDB so that both the embedded SQLite
 * adapter and the `@eventstore/db-client` adapter are plain implementations of it:
 * per-stream revisions are bigint from 0, the expected revision is one of ESDB's four kinds,
 * and the whole log is read (or followed) by global position.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | bigint;

export type EventToAppend = {
  readonly id: string; // a UUID; a retried append with the same ids is not written twice
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
};

export type RecordedEvent = {
  readonly id: string;
  readonly streamId: string;
  readonly type: string;
  readonly revision: bigint;
  /** Global position in the log: strictly increasing in commit order, never reused. */
  readonly position: bigint;
  readonly data: unknown;
  readonly metadata: unknown;
  /** The data and metadata as the store holds them (JSON text), when it holds text: the evidence tree hashes these. */
  readonly json?: { readonly data: string; readonly metadata: string };
  /**
   * Its evidence leaf hash (`SHA-256(0x00 || entryText)` of it as stored), when the store hashed
   * it while reading (the SQLite store's `recordPages` does, on a worker thread).
   */
  readonly leafHash?: Uint8Array;
};

export type AppendResult = {
  /** The revision of the last event written: the revision to expect on the next append. */
  readonly nextExpectedRevision: bigint;
  /** The global position of the last event written. */
  readonly position: bigint;
};

export type WrongExpectedVersion = {
  readonly kind: 'WrongExpectedVersion';
  readonly streamId: string;
  readonly expected: ExpectedRevision;
  readonly actual: bigint | 'no_stream';
};

export type ReadAllOptions = {
  /** Read events strictly after this position; null reads from the start of the log. */
  readonly after: bigint | null;
  readonly maxCount: number;
};

export type Subscription = AsyncIterable<RecordedEvent> & { stop(): Promise<void> };

export interface EventStore {
  /** Appends atomically: all the events or none. A concurrency conflict is a value, not a throw. */
  append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<E.Either<WrongExpectedVersion, AppendResult>>;
  /** A stream's events in revision order; [] when the stream does not exist. */
  readStream(
    streamId: string,
    opts?: { fromRevision?: bigint; maxCount?: number },
  ): Promise<RecordedEvent[]>;
  readAll(opts: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * The log as stored, data and metadata left as their JSON text: what `verify` recomputes the
   * evidence tree from, at the speed of reading it (nothing parsed). Same events as `readAll`.
   */
  readStored(opts: ReadAllOptions): Promise<StoredRecord[]>;
  /** Each event's evidence entry (`entryText` of it as stored): `verify` hashes nothing else. */
  readEntries(opts: ReadAllOptions): Promise<LogEntry[]>;
  /**
   * Every entry after `after` to the end of the log as it is when read, page by page in log
   * order: what `verify` reads. A store may read ahead of the caller (SQLite does, in a worker).
   */
  entryPages(after: bigint | null): AsyncIterable<readonly LogEntry[]>;
  /**
   * Every event after `after` to the end of the log as it is when read, page by page in log
   * order: what a rebuild folds. A store may read ahead of the caller, and hash each event's
   * evidence leaf meanwhile (SQLite does both, in a worker).
   */
  recordPages(after: bigint | null): AsyncIterable<readonly RecordedEvent[]>;
  /** The position of the last event in the log, or null for an empty log. */
  headPosition(): Promise<bigint | null>;
  /**
   * A value that differs from any taken before whenever the log may have grown since (a commit
   * by this store or by any other connection to it), without reading the log; absent when the
   * store cannot tell so cheaply. A reader that has read to the end keeps it, and reads again only
   * once it has changed.
   */
  logVersion?(): string;
  /** Catch-up subscription: every event after `after`, then each new one as it is committed. */
  subscribeToAll(opts: { after: bigint | null }): Subscription;
  close(): Promise<void>;
}

/** The store's configuration cannot work (a connection string that does not parse): nothing was opened. */
export class StoreConfigurationError extends Error {
  override readonly name = 'StoreConfigurationError';
}

/** The store is unreachable, or a request to it failed in a way worth retrying. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** The stream was deleted (ESDB tombstone): it can be neither read nor written again. */
export class StreamDeletedError extends Error {
  override readonly name = 'StreamDeletedError';
  constructor(readonly streamId: string) {
    super(`stream ${streamId} is deleted`);
  }
}

export const describeConflict = (c: WrongExpectedVersion): string =>
  `stream ${c.streamId}: expected revision ${String(c.expected)}, actual ${String(c.actual)}`;
