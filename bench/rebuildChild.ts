// Runs one rebuild in its own process, so that its peak memory is the rebuild's alone.
import { openLedger } from '../src/app/ledger.js';
import { allProjections } from '../src/projections/readModels.js';
import { rebuildProjections } from '../src/projections/rebuild.js';

const dataDir = process.argv[2]!;
const ledger = openLedger({ dataDir, rolloutRoots: [dataDir] });
let peakHeap = 0;
const sample = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 50);
const t0 = performance.now();
const r = await rebuildProjections(ledger.readDb, ledger.store, ledger.codec, allProjections, () => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
});
const seconds = (performance.now() - t0) / 1000;
clearInterval(sample);
await ledger.close();
process.stdout.write(
  JSON.stringify({ events: r.applied, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, peakHeapMiB: peakHeap / 2 ** 20 }),
);
