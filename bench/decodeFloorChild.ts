// What a rebuild costs before it folds anything (issue 15): the log read as the rebuild reads it
// (the store's read-ahead worker, leaf hashes included), each batch decoded and checked against
// its schema, and nothing written. `opened` (the rebuild's way): content unsealed with its
// thread's key; `sealed`: content left sealed, as if the read models kept it so (what that
// would save a rebuild). The rebuild's time over the floor is this part's plus the folds'.

import { openLedger } from '../src/main/openLedger.js';
import { catchUpLog } from '../src/projections/logCatchUp.js';

const dataDir = process.argv[2]!;
const opened = process.argv[3] !== 'sealed';
const ledger = openLedger({ dataDir, rolloutRoots: [dataDir] });
const t0 = performance.now();
let events = 0;
await catchUpLog(ledger.store.recordPages(null), 10_000, async (batch) => {
  events += opened
    ? (await ledger.codec.decodeMany(batch)).length
    : batch.map((r) => ledger.codec.decodeSealed(r)).length;
});
const seconds = (performance.now() - t0) / 1000;
await ledger.close();
process.stdout.write(JSON.stringify({ events, seconds }));
