#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { type Ledger, openLedger } from './app/ledger.js';
import { buildServer } from './api/server.js';
import { ConfigError, loadConfig } from './config.js';
import { rebuildProjections } from './projections/rebuild.js';
import { allProjections } from './projections/readModels.js';

const USAGE = `thread-ledger: event-sourced lifecycle and durable deletion of agent threads

Usage:
  thread-ledger serve    [--data DIR] [--rollout-root DIR ...] [--host H] [--port P]
  thread-ledger worker   [--data DIR] [--rollout-root DIR ...] [--batch-size N] [--until-idle]
  thread-ledger rebuild  [--data DIR]

Options:
  --data DIR          data folder: event log, key store, read models (env LEDGER_DATA_DIR, default ./data)
  --rollout-root DIR  the only folders rollout files may be deleted from; repeatable
                      (env LEDGER_ROLLOUT_ROOTS, separated by ':'; default DATA/rollouts)
  --host H, --port P  where serve listens (env HOST, PORT; default 127.0.0.1:8080)
  --batch-size N      worker: threads per pass (default 5000)
  --until-idle        worker: exit once no deletion has a step due (exit code 3 if some
                      still wait on a failed step's retry)
`;

const { positionals, values } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        'rollout-root': { type: 'string', multiple: true },
        host: { type: 'string' },
        port: { type: 'string' },
        'batch-size': { type: 'string' },
        'until-idle': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
})();

const fail = (message: string): never => {
  process.stderr.write(`thread-ledger: ${message}\n`);
  process.exit(2);
};

const onSignals = (stop: () => Promise<void>) => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void stop().then(() => process.exit(0));
    });
  }
};

const batchSize = (): number | undefined => {
  if (values['batch-size'] === undefined) return undefined;
  const n = Number(values['batch-size']);
  return Number.isInteger(n) && n > 0 ? n : fail(`--batch-size must be a positive integer, got "${values['batch-size']}"`);
};

const main = async (): Promise<void> => {
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return;
  }
  let config;
  try {
    config = loadConfig(values);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const open = (): Ledger => openLedger({ dataDir: config.dataDir, rolloutRoots: config.rolloutRoots, workerBatchSize: batchSize() });

  switch (command) {
    case 'serve': {
      const ledger = open();
      await ledger.runner.catchUp();
      ledger.runner.start();
      ledger.workerLoop.start();
      const app = buildServer(ledger);
      onSignals(async () => {
        await app.close();
        await ledger.close();
      });
      const address = await app.listen({ host: config.host, port: config.port });
      process.stderr.write(`thread-ledger: listening on ${address}, data in ${config.dataDir}\n`);
      return;
    }
    case 'worker': {
      const ledger = open();
      if (values['until-idle']) {
        let recorded = 0;
        for (;;) {
          const r = await ledger.worker.runPass();
          recorded += r.recorded;
          if (r.recorded === 0) break;
          process.stderr.write(`thread-ledger worker: ${recorded} steps recorded, ${r.completed.length} threads deleted in this pass\n`);
        }
        await ledger.runner.catchUp();
        const counts = ledger.queries.deletionCounts();
        await ledger.close();
        const waiting = (counts['pending'] ?? 0) + (counts['failing'] ?? 0);
        process.stderr.write(`thread-ledger worker: idle; deletions ${JSON.stringify(counts)}\n`);
        // Exit 3: nothing is due now, but some deletions wait on a failing step's next retry.
        if (waiting > 0) process.exitCode = 3;
        return;
      }
      onSignals(() => ledger.close());
      ledger.workerLoop.start();
      return;
    }
    case 'rebuild': {
      const ledger = open();
      const started = Date.now();
      let lastReport = 0;
      const r = await rebuildProjections(ledger.readDb, ledger.store, ledger.codec, allProjections, (p) => {
        const now = Date.now();
        if (now - lastReport < 500) return;
        lastReport = now;
        const pct = p.head ? ` (${((Number(p.position) / Number(p.head)) * 100).toFixed(1)}%)` : '';
        const rate = Math.round(p.applied / ((now - started) / 1000));
        process.stderr.write(`rebuild: ${p.applied} events${pct}, ${rate} events/s\n`);
      });
      const secs = (Date.now() - started) / 1000;
      process.stderr.write(
        `rebuild: done, ${r.applied} events in ${secs.toFixed(2)} s, read models at position ${r.position ?? 'empty'}\n`,
      );
      await ledger.close();
      return;
    }
    default:
      fail(`unknown command "${command}"\n\n${USAGE}`);
  }
};

main().catch((err: unknown) => {
  process.stderr.write(`thread-ledger: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
