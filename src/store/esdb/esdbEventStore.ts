import { createRequire } from 'node:module';
import type * as Esdb from '@eventstore/db-client';
import type { EventStoreDBClient, Position } from '@eventstore/db-client';
import * as E from 'fp-ts/lib/Either.js';
import { entryText, type LogEntry, type StoredRecord } from '../../evidence/entry.js';
import { entryPagesOf } from '../entryPages.js';
import {
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type RecordedEvent,
  StoreConfigurationError,
  StoreUnavailableError,
  StreamDeletedError,
  type Subscription,
  type WrongExpectedVersion,
} from '../eventStore.js';
import { recordPagesOf } from '../recordPages.js';
import { storedRecordOf } from '../storedRecord.js';

/**
 * The client library, loaded on its first use: about 200 ms of start-up that a ledger on the
 * embedded store (every command without EVENTSTORE_CONNECTION_STRING) never needs.
 */
const requireHere = createRequire(import.meta.url);
let loaded: typeof Esdb | null = null;
const esdb = (): typeof Esdb => {
  loaded ??= requireHere('@eventstore/db-client') as typeof Esdb;
  return loaded;
};

type Raw = {
  id: string;
  streamId: string;
  type: string;
  revision: bigint;
  position?: Position;
  data: unknown;
  metadata?: unknown;
};

const RETRIES = 4;
const TRANSIENT = new Set(['unavailable', 'not-leader', 'deadline-exceeded', 'unknown']);

const isSystem = (r: Raw) => r.type.startsWith('$') || r.streamId.startsWith('$');
const at = (p: bigint): Position => ({ commit: p, prepare: p });
const HEAD_PAGE = 100;

/**
 * The EventStore port over EventStoreDB / KurrentDB, through `@eventstore/db-client`. A global
 * position is the commit position; system events (`$`) are never surfaced. Transient failures
 * (unavailable, not leader, deadline) are retried a bounded number of times with backoff, then
 * reported as StoreUnavailableError.
 */
/**
 * What is wrong with an EventStoreDB / KurrentDB connection string, as the client reads it (null:
 * nothing). Nothing is connected: the client only connects at its first call.
 */
export const connectionStringProblem = (connectionString: string): string | null => {
  try {
    void esdb().EventStoreDBClient.connectionString(connectionString).dispose();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
};

export class EsdbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;

  constructor(connectionString: string) {
    try {
      this.client = esdb().EventStoreDBClient.connectionString(connectionString);
    } catch (err) {
      throw new StoreConfigurationError(
        `EVENTSTORE_CONNECTION_STRING is not valid: ${(err as Error).message}`,
      );
    }
  }

  private async retrying<A>(what: string, f: () => Promise<A>): Promise<A> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (err) {
        const type = (err as { type?: string }).type;
        if (err instanceof esdb().StreamDeletedError) throw new StreamDeletedError(err.streamName);
        if (!type || !TRANSIENT.has(type) || attempt >= RETRIES) {
          if (type && TRANSIENT.has(type))
            throw new StoreUnavailableError(`${what}: ${(err as Error).message}`);
          throw err;
        }
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<E.Either<WrongExpectedVersion, AppendResult>> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const data = events.map((e) =>
      esdb().jsonEvent({
        id: e.id,
        type: e.type,
        data: e.data as never,
        metadata: e.metadata as never,
      }),
    );
    try {
      const r = await this.retrying('append', () =>
        this.client.appendToStream(streamId, data, { expectedRevision: expected }),
      );
      return E.right({
        nextExpectedRevision: r.nextExpectedRevision,
        position: r.position!.commit,
      });
    } catch (err) {
      if (err instanceof esdb().WrongExpectedVersionError) {
        const actual = err.actualVersion;
        return E.left({
          kind: 'WrongExpectedVersion',
          streamId,
          expected,
          actual: typeof actual === 'bigint' ? actual : 'no_stream',
        });
      }
      throw err;
    }
  }

  private toRecorded(r: Raw): RecordedEvent {
    return {
      id: r.id,
      streamId: r.streamId,
      type: r.type,
      revision: r.revision,
      position: r.position!.commit,
      data: r.data,
      metadata: r.metadata ?? {},
    };
  }

  async readStream(
    streamId: string,
    opts: { fromRevision?: bigint; maxCount?: number } = {},
  ): Promise<RecordedEvent[]> {
    return this.retrying('readStream', async () => {
      const out: RecordedEvent[] = [];
      try {
        for await (const e of this.client.readStream(streamId, {
          fromRevision: opts.fromRevision ?? esdb().START,
          maxCount: opts.maxCount ?? Number.MAX_SAFE_INTEGER,
          direction: esdb().FORWARDS,
        })) {
          if (e.event) out.push(this.toRecorded(e.event as Raw));
        }
      } catch (err) {
        if (err instanceof esdb().StreamNotFoundError) return [];
        throw err;
      }
      return out;
    });
  }

  async readAll({ after, maxCount }: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.retrying('readAll', async () => {
      const out: RecordedEvent[] = [];
      // fromPosition is inclusive: read one more and drop the event at `after` itself. Reads are
      // always consumed to their end (leaving one half-read keeps the client from closing).
      for await (const e of this.client.readAll({
        fromPosition: after === null ? esdb().START : at(after),
        maxCount: maxCount + 1,
        direction: esdb().FORWARDS,
      })) {
        const r = e.event as Raw | undefined;
        if (!r || isSystem(r) || (after !== null && r.position!.commit <= after)) continue;
        out.push(this.toRecorded(r));
      }
      return out.slice(0, maxCount);
    });
  }

  /** The client hands JSON events back parsed; they were written as `JSON.stringify` of the same value. */
  async readStored(opts: ReadAllOptions): Promise<StoredRecord[]> {
    return (await this.readAll(opts)).map(storedRecordOf);
  }

  async readEntries(opts: ReadAllOptions): Promise<LogEntry[]> {
    return (await this.readStored(opts)).map((r) => ({
      position: r.position,
      entry: entryText(r),
    }));
  }

  entryPages(after: bigint | null): AsyncIterable<readonly LogEntry[]> {
    return entryPagesOf(this, after);
  }

  recordPages(after: bigint | null): AsyncIterable<readonly RecordedEvent[]> {
    return recordPagesOf(this, after);
  }

  async headPosition(): Promise<bigint | null> {
    return this.retrying('headPosition', async () => {
      // Backwards, a page at a time, past however many system events trail the log. Each page is
      // read to its end: a read left half-consumed keeps the client from closing.
      let from: Position | typeof Esdb.END = esdb().END;
      for (;;) {
        let head: bigint | null = null;
        let seen = 0;
        let last: Position | null = null;
        for await (const e of this.client.readAll({
          fromPosition: from,
          direction: esdb().BACKWARDS,
          maxCount: HEAD_PAGE,
        })) {
          const r = e.event as Raw | undefined;
          if (!r) continue;
          seen++;
          if (!isSystem(r) && head === null) head = r.position!.commit;
          last = r.position!;
        }
        if (head !== null || seen < HEAD_PAGE || last === null) return head;
        from = last; // inclusive: the page after repeats this (system) event, and moves on
      }
    });
  }

  subscribeToAll(opts: { after: bigint | null }): Subscription {
    const sub = this.client.subscribeToAll({
      fromPosition: opts.after === null ? esdb().START : at(opts.after),
      filter: esdb().excludeSystemEvents(),
    });
    const after = opts.after;
    const toRecorded = (r: Raw) => this.toRecorded(r);
    async function* iterate(): AsyncGenerator<RecordedEvent> {
      for await (const e of sub) {
        const r = e.event as Raw | undefined;
        if (!r || isSystem(r) || (after !== null && r.position!.commit <= after)) continue;
        yield toRecorded(r);
      }
    }
    const it = iterate();
    return {
      [Symbol.asyncIterator]: () => it,
      async stop() {
        await sub.unsubscribe();
        await it.return(undefined);
      },
    };
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}
