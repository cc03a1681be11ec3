import { EsdbEventStore } from '../../src/store/esdb/esdbEventStore.js';
import { EsdbTestServer } from '../support/esdb/esdbTestServer.js';
import { eventStoreContract } from './eventStoreContract.js';

// The same contract as every adapter, over real gRPC, against the wire-level test server.
// `npm run test:esdb` runs it against a real KurrentDB where EVENTSTORE_CONNECTION_STRING is set.
const real = process.env['EVENTSTORE_CONNECTION_STRING'];

eventStoreContract(real ? `EventStoreDB at ${real}` : 'EventStoreDB (wire-level test server)', async () => {
  if (real) return { store: new EsdbEventStore(real) };
  const server = new EsdbTestServer();
  const url = await server.start();
  return { store: new EsdbEventStore(url), cleanup: () => server.stop() };
});
