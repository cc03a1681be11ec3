import { describe, expect, it } from 'vitest';
import { ctx, useLedgerFixture } from '../support/ledgerFixture.js';
import { unwrap } from '../support/unwrap.js';

describe('subtree graph and session index', () => {
  const f = useLedgerFixture();

  it('answers children, descendants and ancestors', async () => {
    const root = await f.root();
    const a = await f.child(root);
    const b = await f.child(root);
    const a1 = await f.child(a);
    const a11 = await f.child(a1);
    await f.ledger.runner.catchUp();
    const q = f.ledger.queries;
    expect(
      q
        .children(root)
        .map((n) => n.thread_id)
        .sort(),
    ).toEqual([a, b].sort());
    expect(new Set(q.descendants(root).map((n) => n.thread_id))).toEqual(new Set([a, b, a1, a11]));
    expect(q.descendants(a).map((n) => [n.thread_id, n.depth])).toEqual([
      [a1, 2],
      [a11, 3],
    ]);
    expect(q.ancestors(a11).map((n) => n.thread_id)).toEqual([a1, a, root]);
    expect(q.ancestors(root)).toEqual([]);
  });

  it('never loops on a loop in the graph (a self-parent, a 3-cycle, as a log written before loops were refused could hold)', () => {
    const db = f.ledger.readDb;
    const put = db.prepare(
      "INSERT INTO thread_nodes (thread_id, parent_thread_id, depth, status) VALUES (?, ?, 1, 'live')",
    );
    put.run('self', 'self');
    put.run('x', 'z');
    put.run('y', 'x');
    put.run('z', 'y');
    put.run('below', 'y');
    const q = f.ledger.queries;
    expect(q.ancestors('self')).toEqual([]);
    expect(q.descendants('self')).toEqual([]);
    expect(q.ancestors('below').map((n) => n.thread_id)).toEqual(['y', 'x', 'z']);
    expect(q.ancestors('x').map((n) => n.thread_id)).toEqual(['z', 'y']);
    expect(
      q
        .descendants('x')
        .map((n) => n.thread_id)
        .sort(),
    ).toEqual(['below', 'y', 'z']);
  });

  it('keeps the graph of a deleted subtree, ids and status only', async () => {
    const root = await f.root();
    const a = await f.child(root);
    unwrap(await f.ledger.lifecycle.delete(root, null, ctx));
    await f.ledger.runner.catchUp();
    expect(f.ledger.queries.node(a)?.status).toBe('deleting');
    await f.ledger.worker.runPass();
    await f.ledger.runner.catchUp();
    expect(f.ledger.queries.descendants(root).map((n) => [n.thread_id, n.status])).toEqual([
      [a, 'deleted'],
    ]);
  });

  it('maps a thread to its current name; the last rename wins; gone at the tombstone', async () => {
    const t = await f.root('first');
    await f.ledger.runner.catchUp();
    expect(f.ledger.queries.sessionName(t)).toBe('first');
    unwrap(await f.ledger.lifecycle.rename(t, ' second ', ctx));
    await f.ledger.runner.catchUp();
    expect(f.ledger.queries.sessionName(t)).toBe('second');
    unwrap(await f.ledger.lifecycle.delete(t, null, ctx));
    await f.ledger.runner.catchUp();
    expect(f.ledger.queries.sessionName(t)).toBeNull();
  });
});
