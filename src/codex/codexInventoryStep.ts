import { errorText, type StepExecutor, type StepOutcome } from '../app/deletion/stepExecutor.js';
import { isWithin } from '../domain/rolloutPath.js';
import type { CodexInventory } from './codexInventory.js';

/**
 * What a thread imported from a Codex home left there, found at once for every thread due. A
 * worker with no Codex home, or another home than the thread's, cannot look: the step fails (and
 * stays visible) rather than pass for done.
 */
export const codexInventoryExecutor =
  (inventory: CodexInventory | null): StepExecutor<{ kind: 'InventoryCodexHome' }> =>
  async (work) => {
    if (work.length === 0) return [];
    if (inventory === null) {
      return work.map(() => ({
        failed:
          'the thread came from a Codex home, and this worker has none configured (--codex-home)',
      }));
    }
    let found;
    try {
      found = await inventory.find(work.map((w) => w.threadId));
    } catch (err) {
      return work.map(() => ({ failed: errorText(err) }));
    }
    return work.map(({ threadId, state }): StepOutcome => {
      const foreign = state.rolloutPaths.find(
        (p) => p === inventory.root || !isWithin(inventory.root, p),
      );
      if (foreign)
        return {
          failed: `the thread's rollout ${foreign} is not in this worker's Codex home ${inventory.root}`,
        };
      const f = found.get(threadId)!;
      return { done: { type: 'RecordCodexHomeInventoried', result: { threadId, ...f } } };
    });
  };
