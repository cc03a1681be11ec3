import { join } from 'node:path';
import { AppServer } from '../api/appServer/appServer.js';
import { notifyDeletedThreads } from '../api/appServer/deletedNotifications.js';
import { serveStdio } from '../api/appServer/stdio.js';
import { CodexConfig } from '../codex/codexConfig.js';
import { CodexHomeWatch } from '../codex/codexHomeWatch.js';
import { CodexImporter } from '../codex/codexImporter.js';
import { CodexThreads } from '../codex/codexThreads.js';
import { HomeRefresh } from '../codex/homeRefresh.js';
import { WatchedConfig } from '../codex/watchedConfig.js';
import type { Command } from './command.js';
import { openConfiguredLedger } from './openConfiguredLedger.js';
import { onSignals, say, version } from './processLifetime.js';

/** How often the whole home is scanned again: the safety net under the watch (and the quick scan). */
const FULL_SCAN_MS = 60_000;

/** The thread lifecycle of `codex app-server`, JSON-RPC over stdio, over a Codex home. */
export const appServerCommand: Command<'app-server'> = {
  name: 'app-server',
  summary: 'the thread lifecycle of `codex app-server`, JSON-RPC over stdio, over a Codex home',
  flags: ['codex-home', 'data'],
  usage: '[--codex-home DIR] [--data DIR]',
  async run({ ledger: settings }) {
    const home = settings.codexHome;
    const ledger = openConfiguredLedger(settings);
    await ledger.runner.catchUp();
    const importer = new CodexImporter(home, ledger);
    // Watched before the first import, so that nothing written during it goes unseen.
    const watch = new CodexHomeWatch(home, {
      onBroken: (why) =>
        say(
          `thread-ledger app-server: watching ${home.root} failed (${why}): scanning it before each list instead`,
        ),
    });
    if (watch.start()) home.follow(watch);
    const report = await importer.run({ full: true });
    for (const s of report.skipped) say(`thread-ledger app-server: skipped ${s.path}: ${s.error}`);
    ledger.runner.start();
    ledger.workerLoop.start();
    const threads = new CodexThreads(home, ledger);
    // What the watch may miss (inotify's queue overflowing drops events silently) and, without a
    // watch, what the quick scan does not look at (older day folders) is picked up now and then.
    const fullScan = setInterval(() => {
      importer
        .run({ full: true })
        .catch((err: unknown) => say(`thread-ledger app-server: scan: ${String(err)}`));
    }, FULL_SCAN_MS);
    fullScan.unref();
    // SIGINT/SIGTERM: stop reading, answer what was read, close the stores, exit 0.
    const stopReading = new AbortController();
    let closed!: () => void;
    const stores = new Promise<void>((r) => {
      closed = r;
    });
    onSignals('thread-ledger app-server', async () => {
      stopReading.abort();
      await stores;
    });
    await serveStdio(
      (send, outputReady) => {
        notifyDeletedThreads(ledger, send);
        return new AppServer({
          ledger,
          threads,
          importer: new HomeRefresh(importer, watch),
          codexHome: home.root,
          config: new WatchedConfig(
            new CodexConfig(home.root),
            join(home.root, 'config.toml'),
            watch,
          ),
          send,
          notify: send,
          outputReady,
          version: version(),
        });
      },
      { input: process.stdin, output: process.stdout, stop: stopReading.signal },
    );
    // The end of the input (or a signal): every message read has been answered; no scan starts.
    clearInterval(fullScan);
    watch.close();
    await ledger.close();
    closed();
    if (!stopReading.signal.aborted) say('thread-ledger app-server: input ended: stopped');
    return 0;
  },
};
