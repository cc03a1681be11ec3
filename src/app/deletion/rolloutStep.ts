import type { RolloutPurger } from '../../io/rolloutFiles.js';
import { eachAlone, type StepExecutor } from './stepExecutor.js';

/** Rollouts purged at once at most: each holds its descriptors until its close, on the thread pool, ends. */
const AT_ONCE = 64;

/** A rollout file (or its `.zst` sibling): removed inside the roots, remembered by size and SHA-256. */
export const rolloutExecutor = (
  purger: RolloutPurger,
): StepExecutor<{ kind: 'PurgeRollout'; path: string }> =>
  eachAlone(
    async ({ threadId, step }) => ({
      type: 'RecordRolloutPurged',
      result: { threadId, path: step.path, ...(await purger.purge(step.path)) },
    }),
    AT_ONCE,
  );
