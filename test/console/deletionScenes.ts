import type { ThreadId } from '../../src/domain/ids.js';
import type { Fixture } from '../support/ledgerFixture.js';
import { ctx } from '../support/ledgerFixture.js';
import { newId, startedData } from '../support/threads.js';
import { until as poll } from '../support/until.js';
import { unwrap } from '../support/unwrap.js';

/** Waits for a page or ledger condition: 20 s, the browser specs' patience. */
export const until = <T>(what: () => T | null | undefined | false, ms = 20_000): Promise<T> =>
  poll(what, ms);

/**
 * Deletions as a reviewer finds them, made through the ledger itself (its worker loop runs in
 * the server fixture): a subtree deleted to the end, and a deletion whose step fails for ever.
 */

/** Waits for `what` to hold (polling), or fails after `ms`. */

const statusOf = (f: Fixture, root: ThreadId) =>
  f.ledger.queries.deletionRequests.record(root)?.request.status;

/** A tree of `size` threads deleted by `actor`, waited for until every thread is deleted. */
export const deletedTree = async (
  f: Fixture,
  size: number,
  actor = 'alice',
  reason = 'retention',
): Promise<{ root: ThreadId; all: ThreadId[] }> => {
  const tree = await f.tree(size);
  unwrap(await f.ledger.lifecycle.delete(tree.root, reason, { ...ctx, actor }));
  await until(() => statusOf(f, tree.root) === 'deleted');
  return tree;
};

/**
 * A thread whose rollout an older version recorded outside today's roots (appended directly to
 * its stream), deleted by `actor`: its rollout steps fail on every attempt.
 */
export const stuckDeletion = async (
  f: Fixture,
  actor = 'bob',
): Promise<{ id: ThreadId; path: string }> => {
  const id = newId();
  const path = `/elsewhere/old-version/rollout-2025-01-01T00-00-00-${id}.jsonl`;
  const thread = startedData({ threadId: id, rolloutPath: path });
  unwrap(
    await f.ledger.repo.append(id, [{ type: 'ThreadStarted', data: thread }], ctx, 'no_stream'),
  );
  unwrap(await f.ledger.lifecycle.delete(id, 'customer asked', { ...ctx, actor }));
  await until(() => statusOf(f, id) === 'failing');
  return { id, path };
};
