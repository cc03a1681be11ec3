import { awaitDeletion } from '../app/deletion/awaitDeletion.js';
import type { Command } from './command.js';
import { openConfiguredLedger, warnIfKeysAreLocal } from './openConfiguredLedger.js';
import { onSignals, say } from './processLifetime.js';

/** `--until-idle` waits this long for deletions that another worker is in the middle of. */
const UNTIL_IDLE_PATIENCE_MS = 10_000;

/** Exit code of `--until-idle` when nothing is due now but some deletions wait on a retry. */
const SOME_WAIT_ON_A_RETRY = 3;

/** The deletion worker alone, as its own process; several may run at once. */
export const workerCommand: Command<'worker'> = {
  name: 'worker',
  summary: 'the deletion worker alone, as its own process; several may run at once',
  flags: ['data', 'rollout-root', 'codex-home', 'batch-size', 'until-idle'],
  usage: '[--data DIR] [--rollout-root DIR ... | --codex-home DIR] [--batch-size N] [--until-idle]',
  async run({ ledger: settings, untilIdle }) {
    warnIfKeysAreLocal(settings);
    const ledger = openConfiguredLedger(settings);
    if (!untilIdle) {
      onSignals('thread-ledger worker', () => ledger.close());
      ledger.workerLoop.start();
      return 0;
    }
    // Until every deletion is done, one waits on a failed step's retry, or another worker holds
    // steps without finishing them for a while.
    let recorded = 0;
    const settled = await awaitDeletion(ledger, null, {
      giveUpAtMs: Infinity,
      patienceMs: UNTIL_IDLE_PATIENCE_MS,
      onProgress: (pass) => {
        recorded += pass.recorded;
        say(
          `thread-ledger worker: ${recorded} steps recorded, ${pass.completed.length} threads deleted in this pass`,
        );
      },
    });
    const counts = ledger.queries.deletionCounts();
    await ledger.close();
    say(`thread-ledger worker: idle; deletions ${JSON.stringify(counts)}`);
    for (const e of settled.errors) say(`thread-ledger worker: failing: ${e}`);
    return settled.status === 'deleted' ? 0 : SOME_WAIT_ON_A_RETRY;
  },
};
