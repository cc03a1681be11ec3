import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import * as grpc from '@grpc/grpc-js';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import { StoreUnavailableError, StreamDeletedError } from '../../src/store/eventStore.js';
import { EsdbTestServer } from '../support/esdb/esdbTestServer.js';
import { eventStoreContract } from './eventStoreContract.js';

// The same contract as every adapter, over real gRPC, against the wire-level test server.
// `npm run test:esdb` runs it against a real KurrentDB where EVENTSTORE_CONNECTION_STRING is set.
const real = process.env['EVENTSTORE_CONNECTION_STRING'];

eventStoreContract(
  real ? `EventStoreDB at ${real}` : 'EventStoreDB (wire-level test server)',
  async () => {
    if (real) return { store: new EsdbEventStore(real) };
    const server = new EsdbTestServer();
    const url = await server.start();
    return { store: new EsdbEventStore(url), cleanup: () => server.stop() };
  },
);

describe('EventStoreDB adapter: failures mapped to the port', () => {
  const withServer = async (
    f: (server: EsdbTestServer, store: EsdbEventStore, client: EventStoreDBClient) => Promise<void>,
  ) => {
    const server = new EsdbTestServer();
    const url = await server.start();
    const store = new EsdbEventStore(url);
    const client = EventStoreDBClient.connectionString(url);
    try {
      await f(server, store, client);
    } finally {
      await client.dispose();
      await store.close();
      await server.stop();
    }
  };
  const ev = () => ({ id: randomUUID(), type: 'T', data: {}, metadata: {} });

  it('retries an unavailable server a bounded number of times, then reports it unavailable', async () => {
    await withServer(async (server, store) => {
      server.failNextAppends = { count: 2, code: grpc.status.UNAVAILABLE };
      expect(E.isRight(await store.append('s-1', [ev()], 'no_stream'))).toBe(true); // two failures, then through
      server.failNextAppends = { count: 10, code: grpc.status.UNAVAILABLE };
      await expect(store.append('s-2', [ev()], 'no_stream')).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      server.failNextAppends = null;
      expect(await store.readStream('s-2')).toEqual([]); // nothing was written by the failed attempts
    });
  });

  it('retries a not-leader answer like an unavailable one', async () => {
    await withServer(async (server, store) => {
      server.failNextAppends = { count: 1, code: grpc.status.NOT_FOUND, exception: 'not-leader' };
      expect(E.isRight(await store.append('s-3', [ev()], 'no_stream'))).toBe(true);
    });
  });

  it('reports a tombstoned stream as deleted, for reads and appends', async () => {
    await withServer(async (_server, store, client) => {
      await store.append('s-4', [ev()], 'no_stream');
      await client.tombstoneStream('s-4');
      await expect(store.readStream('s-4')).rejects.toBeInstanceOf(StreamDeletedError);
      await expect(store.append('s-4', [ev()], 'any')).rejects.toBeInstanceOf(StreamDeletedError);
    });
  });

  it('skips system events in reads and subscriptions of $all', async () => {
    await withServer(async (_server, store) => {
      await store.append('s-5', [ev()], 'no_stream');
      const all = await store.readAll({ after: null, maxCount: 100 });
      expect(all.map((e) => e.streamId)).toEqual(['s-5']); // the server's $settings events are not there
      const sub = store.subscribeToAll({ after: null });
      const it = sub[Symbol.asyncIterator]();
      expect((await it.next()).value.streamId).toBe('s-5');
      await sub.stop();
    });
  });

  it('finds the head of the log behind any number of trailing system events', async () => {
    await withServer(async (_server, store, client) => {
      expect(await store.headPosition()).toBeNull();
      await store.append('s-6', [ev()], 'no_stream');
      const [last] = await store.readAll({ after: null, maxCount: 10 });
      // 250 system events after it (the server writes such events of its own: stats, scavenges).
      for (let i = 0; i < 5; i++) {
        await client.appendToStream(
          '$stats-test',
          Array.from({ length: 50 }, () => jsonEvent({ type: '$statsCollected', data: {} })),
        );
      }
      expect(await store.headPosition()).toBe(last!.position);
    });
  });
});
