import type { Ledger } from '../../app/ledger.js';
import { invalid, problem } from './problem.js';

/** How long a query waits for the read models to reach the position it names. */
const CATCH_UP_MS = 2_000;

/**
 * Read-your-writes: waits, briefly, for the read models to reach a position the caller names
 * (`minPosition`, from a command's answer); 503 if they do not in time.
 */
export const readModelsAt = async (
  runner: Ledger['runner'],
  minPosition: string | undefined,
): Promise<void> => {
  if (minPosition === undefined) return;
  if (!/^\d+$/.test(minPosition))
    throw invalid(`minPosition must be a log position (digits), got "${minPosition}"`);
  const reached = await Promise.race([
    runner.waitFor(BigInt(minPosition)).then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), CATCH_UP_MS)),
  ]);
  if (!reached) {
    const detail = `the read models have not reached position ${minPosition} yet`;
    throw problem('not-caught-up', 503, 'Read models behind', detail);
  }
};
