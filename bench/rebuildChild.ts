// Runs one rebuild in its own process, so that its peak memory is the rebuild's alone.
// With --expose-gc, the live heap (after a full collection) is sampled at every committed batch.

import { readFileSync } from 'node:fs';
import { loadKeyServiceClient } from '../src/main/config.js';
import { openLedger } from '../src/main/openLedger.js';
import { allProjections } from '../src/projections/readModels.js';
import { rebuildProjections } from '../src/projections/rebuild.js';

const dataDir = process.argv[2]!;
// KEY_SERVICE_URL in the environment: the keys come from the key service, as on a scaled-out instance.
const ledger = openLedger({ dataDir, rolloutRoots: [dataDir], keyService: loadKeyServiceClient() });
const gc = (globalThis as { gc?: () => void }).gc;
let liveHeap = 0;
let gcMs = 0;
const t0 = performance.now();
const r = await rebuildProjections(
  ledger.readDb,
  ledger.store,
  ledger.codec,
  allProjections,
  () => {
    if (!gc) return;
    const g0 = performance.now();
    gc();
    liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
    gcMs += performance.now() - g0;
  },
);
const seconds = (performance.now() - t0 - gcMs) / 1000; // the sampling's own collections are not the rebuild's time
// CPU seconds, which a loaded machine inflates far less than wall time: the process's (all its
// threads), and the main thread's alone (Linux: its utime + stime in /proc, at 100 ticks a second).
const cpu = process.cpuUsage();
const mainThreadCpu = (): number | null => {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
};
const mainCpuS = mainThreadCpu();
await ledger.close();
process.stdout.write(
  JSON.stringify({
    events: r.applied,
    seconds,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    liveHeapMiB: liveHeap / 2 ** 20,
    cpuS: (cpu.user + cpu.system) / 1e6,
    mainCpuS,
  }),
);
