#!/usr/bin/env node
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { AppServer } from './api/appServer/appServer.js';
import { notifyDeletedThreads } from './api/appServer/deletedNotifications.js';
import { serveStdio } from './api/appServer/stdio.js';
import { parseTokens, type TokenConfig } from './api/http/auth.js';
import { buildKeyService } from './api/keyService.js';
import { buildServer } from './api/server.js';
import { awaitDeletion } from './app/deletion/awaitDeletion.js';
import type { Ledger } from './app/ledger.js';
import { CodexHome } from './codex/codexHome.js';
import { CodexImporter } from './codex/codexImporter.js';
import { CodexThreads } from './codex/codexThreads.js';
import { KeyStoreUnavailableError } from './io/keys/keyStore.js';
import { SqliteKeyStore } from './io/keys/sqliteKeyStore.js';
import {
  ConfigError,
  keyServiceServerTls,
  keyServiceToken,
  loadConfig,
  loadKeyServiceClient,
} from './main/config.js';
import { openCodexLedger } from './main/openCodexLedger.js';
import { openLedger } from './main/openLedger.js';
import { allProjections } from './projections/readModels.js';
import { rebuildProjections } from './projections/rebuild.js';
import { StoreConfigurationError, StoreUnavailableError } from './store/eventStore.js';

const USAGE = `thread-ledger: event-sourced lifecycle and durable deletion of agent threads

Usage:
  thread-ledger serve    [--data DIR] [--rollout-root DIR ... | --codex-home DIR] [--host H] [--port P]
  thread-ledger worker   [--data DIR] [--rollout-root DIR ... | --codex-home DIR] [--batch-size N] [--until-idle]
  thread-ledger rebuild  [--data DIR]
  thread-ledger key-service [--data DIR] [--host H] [--port P]
  thread-ledger app-server [--codex-home DIR] [--data DIR]
  thread-ledger import   [--codex-home DIR] [--data DIR]

Options:
  --data DIR          data folder: event log, key store, read models (env LEDGER_DATA_DIR, default ./data)
  --rollout-root DIR  the only folders rollout files may be deleted from; repeatable
                      (env LEDGER_ROLLOUT_ROOTS, separated by ':'; default DATA/rollouts)
  --host H, --port P  where serve listens (env HOST, PORT; default 127.0.0.1:8080); without
                      tokens (env LEDGER_TOKENS or LEDGER_TOKENS_FILE) only on loopback
  --batch-size N      worker: threads per pass (default 5000)
  key-service         serves DATA/keys.db to every instance of a scaled-out deployment
                      (default port 8090); needs KEY_SERVICE_TOKEN; TLS with
                      KEY_SERVICE_TLS_CERT/_KEY, client certificates required with _CA.
                      Instances use it when KEY_SERVICE_URL is set (same token, _CA to trust it)
  --codex-home DIR    app-server, import: the Codex home (env CODEX_HOME, default ~/.codex);
                      their data goes in DIR/thread-ledger unless --data or LEDGER_DATA_DIR says.
                      serve, worker: work on that home's ledger (the same default data folder);
                      its deletions purge what Codex keeps there (rollouts, session index,
                      history, Codex's databases); the rollout roots are its session folders
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
        'codex-home': { type: 'string' },
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

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127\./.test(host);

/** Bearer tokens: LEDGER_TOKENS (JSON), or the JSON file LEDGER_TOKENS_FILE names. */
const loadTokens = (): TokenConfig[] => {
  const file = process.env['LEDGER_TOKENS_FILE'];
  const json = process.env['LEDGER_TOKENS'] ?? (file ? readFileSync(file, 'utf8') : undefined);
  if (json === undefined || json.trim() === '') return [];
  const r = parseTokens(json);
  return E.isLeft(r) ? fail(r.left) : r.right;
};

const batchSize = (): number | undefined => {
  if (values['batch-size'] === undefined) return undefined;
  const n = Number(values['batch-size']);
  return Number.isInteger(n) && n > 0
    ? n
    : fail(`--batch-size must be a positive integer, got "${values['batch-size']}"`);
};

const main = async (): Promise<void> => {
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return;
  }
  if (command === 'app-server' || command === 'import') return codex(command);
  let config;
  let keyService;
  try {
    // The key service listens on 8090 unless told otherwise, beside an instance's 8080.
    config = loadConfig(
      command === 'key-service'
        ? { ...values, port: values.port ?? process.env['PORT'] ?? '8090' }
        : values,
    );
    keyService = command === 'key-service' ? undefined : loadKeyServiceClient();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const eventStoreConnectionString = process.env['EVENTSTORE_CONNECTION_STRING'] || undefined;
  if (eventStoreConnectionString && !keyService && (command === 'serve' || command === 'worker')) {
    process.stderr.write(
      'thread-ledger: the content keys are in this data folder: run one instance only, or set KEY_SERVICE_URL\n',
    );
  }
  if (keyService?.url.startsWith('http://') && !isLoopback(new URL(keyService.url).hostname)) {
    process.stderr.write(
      `thread-ledger: the key service at ${keyService.url} is plain HTTP: keys cross the network in clear; use https:// outside a trusted network\n`,
    );
  }
  // Over a Codex home (serve or worker beside an app-server): its deletions purge what Codex
  // keeps there too, and its data folder is the app-server's unless told otherwise.
  const codexHome = values['codex-home'] ? new CodexHome(values['codex-home']) : null;
  const dataDir =
    codexHome && !values.data && !process.env['LEDGER_DATA_DIR']
      ? codexHome.defaultDataDir
      : config.dataDir;
  const open = (): Ledger => {
    const common = { workerBatchSize: batchSize(), eventStoreConnectionString, keyService };
    if (codexHome) return openCodexLedger(codexHome, dataDir, common);
    return openLedger({ dataDir, rolloutRoots: config.rolloutRoots, ...common });
  };

  switch (command) {
    case 'serve': {
      const tokens = loadTokens();
      if (tokens.length === 0 && !isLoopback(config.host)) {
        fail(
          `no tokens configured (LEDGER_TOKENS or LEDGER_TOKENS_FILE): refusing to listen on ${config.host}; use a loopback address or configure tokens`,
        );
      }
      const ledger = open();
      await ledger.runner.catchUp();
      ledger.runner.start();
      ledger.workerLoop.start();
      const rate = process.env['LEDGER_RATE_LIMIT'];
      if (rate !== undefined && !/^[1-9]\d*$/.test(rate))
        fail(
          `LEDGER_RATE_LIMIT must be a positive integer (requests a minute per token), got "${rate}"`,
        );
      const app = await buildServer(ledger, {
        tokens,
        dataDir,
        logger: process.env['LEDGER_LOG'] !== 'off',
        version: version(),
        rateLimitPerMinute: rate === undefined ? undefined : Number(rate),
      });
      if (tokens.length === 0) {
        process.stderr.write(
          'thread-ledger: no tokens configured: listening on loopback only; every local caller has every role\n',
        );
      }
      onSignals(async () => {
        await app.close();
        await ledger.close();
      });
      const address = await app.listen({ host: config.host, port: config.port });
      process.stderr.write(`thread-ledger: listening on ${address}, data in ${dataDir}\n`);
      return;
    }
    case 'worker': {
      const ledger = open();
      if (values['until-idle']) {
        // Until every deletion is done, one waits on a failed step's retry, or another worker holds
        // steps without finishing them for a while.
        let recorded = 0;
        const settled = await awaitDeletion(ledger, null, {
          giveUpAtMs: Infinity,
          patienceMs: UNTIL_IDLE_PATIENCE_MS,
          onProgress: (pass) => {
            recorded += pass.recorded;
            process.stderr.write(
              `thread-ledger worker: ${recorded} steps recorded, ${pass.completed.length} threads deleted in this pass\n`,
            );
          },
        });
        const counts = ledger.queries.deletionCounts();
        await ledger.close();
        process.stderr.write(`thread-ledger worker: idle; deletions ${JSON.stringify(counts)}\n`);
        for (const e of settled.errors)
          process.stderr.write(`thread-ledger worker: failing: ${e}\n`);
        // Exit 3: nothing is due now, but some deletions wait on a failing step's next retry.
        if (settled.status !== 'deleted') process.exitCode = 3;
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
      const r = await rebuildProjections(
        ledger.readDb,
        ledger.store,
        ledger.codec,
        allProjections,
        (p) => {
          const now = Date.now();
          if (now - lastReport < 500) return;
          lastReport = now;
          const pct = p.head
            ? ` (${((Number(p.position) / Number(p.head)) * 100).toFixed(1)}%)`
            : '';
          const rate = Math.round(p.applied / ((now - started) / 1000));
          process.stderr.write(`rebuild: ${p.applied} events${pct}, ${rate} events/s\n`);
        },
      );
      const secs = (Date.now() - started) / 1000;
      process.stderr.write(
        `rebuild: done, ${r.applied} events in ${secs.toFixed(2)} s, read models at position ${r.position ?? 'empty'}\n`,
      );
      await ledger.close();
      return;
    }
    case 'key-service': {
      let opts;
      try {
        opts = { token: keyServiceToken(), tls: keyServiceServerTls() };
      } catch (err) {
        if (err instanceof ConfigError) fail(err.message);
        throw err;
      }
      mkdirSync(config.dataDir, { recursive: true });
      const app = await buildKeyService(new SqliteKeyStore(join(config.dataDir, 'keys.db')), {
        ...opts,
        logger: process.env['LEDGER_LOG'] !== 'off',
      });
      if (!opts.tls && !isLoopback(config.host)) {
        process.stderr.write(
          'thread-ledger key-service: no TLS: keys cross the network in clear; set KEY_SERVICE_TLS_CERT/_KEY (and _CA) outside a trusted network\n',
        );
      }
      onSignals(() => app.close());
      const address = await app.listen({ host: config.host, port: config.port });
      process.stderr.write(
        `thread-ledger key-service: listening on ${address}, keys in ${join(config.dataDir, 'keys.db')}\n`,
      );
      return;
    }
    default:
      fail(`unknown command "${command}"\n\n${USAGE}`);
  }
};

const FULL_SCAN_MS = 60_000;
/** `worker --until-idle` waits this long for deletions that another worker is in the middle of. */
const UNTIL_IDLE_PATIENCE_MS = 10_000;

const version = (): string => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
};

/** The Codex-facing commands: over the Codex home of the environment, as `codex app-server` is. */
const codex = async (command: 'app-server' | 'import'): Promise<void> => {
  const home = new CodexHome(
    values['codex-home'] || process.env['CODEX_HOME'] || join(homedir(), '.codex'),
  );
  const ledger = openCodexLedger(home, values.data || process.env['LEDGER_DATA_DIR'] || undefined);
  await ledger.runner.catchUp();
  if (command === 'import') {
    let last = 0;
    const importer = new CodexImporter(home, ledger, (done, total) => {
      if (Date.now() - last < 500 && done < total) return;
      last = Date.now();
      process.stderr.write(`import: ${done}/${total} rollouts read\n`);
    });
    const t0 = Date.now();
    const r = await importer.run({ full: true });
    for (const s of r.skipped) process.stderr.write(`import: skipped ${s.path}: ${s.error}\n`);
    process.stderr.write(
      `import: done in ${((Date.now() - t0) / 1000).toFixed(2)} s: ${r.scanned} rollouts read, ${r.started} threads started, ` +
        `${r.updated} updated, ${r.renamed} renamed, ${r.skipped.length} skipped, ${r.purgedLate.length} of deleted threads purged\n`,
    );
    await ledger.close();
    return;
  }
  const importer = new CodexImporter(home, ledger);
  const report = await importer.run({ full: true });
  for (const s of report.skipped)
    process.stderr.write(`thread-ledger app-server: skipped ${s.path}: ${s.error}\n`);
  ledger.runner.start();
  ledger.workerLoop.start();
  const threads = new CodexThreads(home, ledger);
  // What the quick scan before each list does not look at (Codex's changes in older day
  // folders, appends to older rollouts) is picked up by a full scan now and then.
  const fullScan = setInterval(() => {
    importer
      .run({ full: true })
      .catch((err: unknown) =>
        process.stderr.write(`thread-ledger app-server: scan: ${String(err)}\n`),
      );
  }, FULL_SCAN_MS);
  fullScan.unref();
  await serveStdio((send, outputReady) => {
    notifyDeletedThreads(ledger, send);
    return new AppServer({
      ledger,
      threads,
      importer,
      codexHome: home.root,
      send,
      notify: send,
      outputReady,
      version: version(),
    });
  });
  await ledger.close();
};

main().catch((err: unknown) => {
  // What an operator can act on is said plainly; anything else is a bug, with its stack.
  if (err instanceof StoreConfigurationError) fail(err.message);
  const text =
    err instanceof StoreUnavailableError
      ? `the event store cannot be reached: ${err.message}`
      : err instanceof KeyStoreUnavailableError
        ? err.message
        : err instanceof Error
          ? (err.stack ?? err.message)
          : String(err);
  process.stderr.write(`thread-ledger: ${text}\n`);
  process.exit(1);
});
