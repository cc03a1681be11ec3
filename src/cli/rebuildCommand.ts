import { allProjections } from '../projections/readModels.js';
import { rebuildProjections } from '../projections/rebuild.js';
import type { Command } from './command.js';
import { openConfiguredLedger } from './openConfiguredLedger.js';
import { say } from './processLifetime.js';

/** At most one progress line in this many milliseconds. */
const PROGRESS_EVERY_MS = 500;

/** Every read model rebuilt from position 0 into fresh tables, swapped in; progress on stderr. */
export const rebuildCommand: Command<'rebuild'> = {
  name: 'rebuild',
  summary: 'rebuilds every read model from the log into fresh tables, and swaps them in',
  flags: ['data'],
  usage: '[--data DIR]',
  async run({ ledger: settings }) {
    const ledger = openConfiguredLedger(settings);
    const started = Date.now();
    let lastReport = 0;
    const r = await rebuildProjections(
      ledger.readDb,
      ledger.store,
      ledger.codec,
      allProjections,
      (p) => {
        const now = Date.now();
        if (now - lastReport < PROGRESS_EVERY_MS) return;
        lastReport = now;
        const pct = p.head ? ` (${((Number(p.position) / Number(p.head)) * 100).toFixed(1)}%)` : '';
        const rate = Math.round(p.applied / ((now - started) / 1000));
        say(`rebuild: ${p.applied} events${pct}, ${rate} events/s`);
      },
    );
    const secs = (Date.now() - started) / 1000;
    say(
      `rebuild: done, ${r.applied} events in ${secs.toFixed(2)} s, read models at position ${r.position ?? 'empty'}`,
    );
    await ledger.close();
    return 0;
  },
};
