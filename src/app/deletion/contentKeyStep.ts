import type { KeyStore } from '../../io/keys/keyStore.js';
import { errorText, type StepExecutor } from './stepExecutor.js';

/** The content keys of every thread due, destroyed in one durable write of the key store. */
export const contentKeyExecutor =
  (keys: KeyStore): StepExecutor<{ kind: 'ShredContent' }> =>
  async (work) => {
    if (work.length === 0) return [];
    try {
      const destroyed = new Set((await keys.destroy(work.map((w) => w.threadId))).destroyed);
      return work.map(({ threadId }) => ({
        done: {
          type: 'RecordContentShredded',
          result: { threadId, outcome: destroyed.has(threadId) ? 'destroyed' : 'absent' },
        },
      }));
    } catch (err) {
      return work.map(() => ({ failed: errorText(err) }));
    }
  };
