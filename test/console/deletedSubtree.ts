import type { ThreadId } from '../../src/domain/ids.js';
import type { ConsoleFixture } from '../support/consoleBrowser.js';
import { A, callServer } from '../support/httpServerFixture.js';
import { ctx } from '../support/ledgerFixture.js';
import { until } from '../support/until.js';
import { unwrap } from '../support/unwrap.js';

export { until };

/** Polls `what` until it gives a value (the worker and the read models run on their own). */

/** The deletion record of `id` as the API gives it to an auditor (null: none). */
export const deletionOf = async (c: ConsoleFixture, id: string): Promise<any> => {
  const r = await callServer(() => c.base)('GET', `/v1/deletions/${id}`, A);
  return r.status === 200 ? r.body.deletion : null;
};

/** Deletes the subtree of `root` (as `test`, with `reason`) and waits until the worker is done. */
export const deleteSubtree = async (
  c: ConsoleFixture,
  root: ThreadId,
  reason: string,
): Promise<any> => {
  unwrap(await c.f.ledger.lifecycle.delete(root, reason, ctx));
  return until(async () => {
    const d = await deletionOf(c, root);
    return d?.status === 'deleted' && d;
  });
};
