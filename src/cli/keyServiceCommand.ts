import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteKeyStore } from '../io/keys/sqliteKeyStore.js';
import { isLoopback, serverTls } from '../main/config.js';
import type { Command } from './command.js';
import { closeServer, listenOrRefuse } from './listen.js';
import { onSignals, say } from './processLifetime.js';

/** The content keys of a scaled-out deployment (DATA/keys.db), served to every instance. */
export const keyServiceCommand: Command<'key-service'> = {
  name: 'key-service',
  summary: 'serves the content keys (DATA/keys.db) to every instance of a scaled-out deployment',
  flags: ['data', 'host', 'port'],
  usage: '[--data DIR] [--host H] [--port P]',
  notes: [
    'default port 8090; needs KEY_SERVICE_TOKEN; TLS with',
    'KEY_SERVICE_TLS_CERT/_KEY, client certificates required with _CA.',
    'Instances use it when KEY_SERVICE_URL is set (same token, _CA to trust it)',
  ],
  async run({ dataDir, listen, keyService, logger }) {
    const tls = serverTls(keyService.tls);
    mkdirSync(dataDir, { recursive: true });
    const keysFile = join(dataDir, 'keys.db');
    const { buildKeyService } = await import('../api/keyService.js');
    const app = await buildKeyService(new SqliteKeyStore(keysFile), {
      token: keyService.token,
      tls,
      logger,
    });
    if (!tls && !isLoopback(listen.host))
      say(
        'thread-ledger key-service: no TLS: keys cross the network in clear; set KEY_SERVICE_TLS_CERT/_KEY (and _CA) outside a trusted network',
      );
    const stop = () => closeServer(app);
    const address = await listenOrRefuse(app, listen, stop);
    onSignals('thread-ledger key-service', stop);
    say(`thread-ledger key-service: listening on ${address}, keys in ${keysFile}`);
    return 0;
  },
};
