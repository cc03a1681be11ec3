// Imports a Codex home in its own process, on a fresh data folder inside it: the import alone
// (every rollout read and started in the log, then the read models caught up so that a list would
// show them all), without the app-server's process start, module loading or first list.

import { CodexHome } from '../src/codex/codexHome.js';
import { CodexImporter } from '../src/codex/codexImporter.js';
import { openCodexLedger } from '../src/main/openCodexLedger.js';

const home = new CodexHome(process.argv[2]!);
const ledger = openCodexLedger(home, undefined);
await ledger.runner.catchUp();
const t0 = performance.now();
const report = await new CodexImporter(home, ledger).run({ full: true });
await ledger.runner.catchUp();
const ms = performance.now() - t0;
await ledger.close();
process.stdout.write(
  JSON.stringify({
    rollouts: report.scanned,
    started: report.started,
    skipped: report.skipped.length,
    ms,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  }),
);
