import { BackgroundVerifier } from '../app/evidence/backgroundVerifier.js';
import type { Command } from './command.js';
import { closeServer, listenOrRefuse } from './listen.js';
import { openConfiguredLedger, warnIfKeysAreLocal } from './openConfiguredLedger.js';
import { onSignals, say, version } from './processLifetime.js';

/** The HTTP service; it also follows the log into the read models and runs the deletion worker. */
export const serveCommand: Command<'serve'> = {
  name: 'serve',
  summary:
    'the HTTP service; it also follows the log into the read models and runs the deletion worker',
  flags: ['data', 'rollout-root', 'codex-home', 'host', 'port'],
  usage: '[--data DIR] [--rollout-root DIR ... | --codex-home DIR] [--host H] [--port P]',
  async run({ ledger: settings, listen, http }) {
    warnIfKeysAreLocal(settings);
    const ledger = openConfiguredLedger(settings);
    await ledger.runner.catchUp();
    ledger.runner.start();
    ledger.workerLoop.start();
    // The log held to its signed checkpoints, now and every 10 minutes (GET /v1/evidence/verification).
    const verifier = new BackgroundVerifier(ledger);
    verifier.start();
    // The HTTP server (fastify and its plugins) loads here: the other commands never need it.
    const { buildServer } = await import('../api/server.js');
    const app = await buildServer(ledger, {
      tokens: http.tokens,
      dataDir: settings.dataDir,
      logger: http.logger,
      version: version(),
      rateLimitPerMinute: http.rateLimitPerMinute,
    });
    if (http.tokens.length === 0)
      say(
        'thread-ledger: no tokens configured: listening on loopback only; every local caller has every role',
      );
    const stop = async () => {
      await closeServer(app);
      await verifier.stop();
      await ledger.close();
    };
    const address = await listenOrRefuse(app, listen, stop);
    onSignals('thread-ledger', stop);
    say(`thread-ledger: listening on ${address}, data in ${settings.dataDir}`);
    return 0;
  },
};
