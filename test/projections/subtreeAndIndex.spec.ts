import { describe, expect, it } from 'vitest';
import type { ThreadId } from '../../src/domain/ids.js';
import { useProjectionSpec } from '../support/projectionSpec.js';

describe('the subtree graph and the session index, given threads spawned, renamed and deleted', () => {
  const spec = useProjectionSpec();
  const rename = (threadId: ThreadId, name: string) =>
    spec.given({ type: 'ThreadRenamed', data: { threadId, name, indexedIn: null } });

  it('answers children, descendants and ancestors', () => {
    const root = spec.root();
    const a = spec.child(root);
    const b = spec.child(root);
    const a1 = spec.child(a);
    const a11 = spec.child(a1);
    const q = spec.queries;
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
    const db = spec.db;
    const put = db.prepare(
      "INSERT INTO thread_nodes (thread_id, parent_thread_id, depth, status) VALUES (?, ?, 1, 'live')",
    );
    put.run('self', 'self');
    put.run('x', 'z');
    put.run('y', 'x');
    put.run('z', 'y');
    put.run('below', 'y');
    const q = spec.queries;
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

  it('keeps the graph of a deleted subtree, ids and status only', () => {
    const root = spec.root();
    const a = spec.child(root);
    // The cascade's tombstones, deepest first, then the worker's completions.
    spec.deleteRequested(a, root);
    spec.deleteRequested(root);
    expect(spec.queries.node(a)?.status).toBe('deleting');
    spec.deleted(a, root);
    spec.deleted(root);
    expect(spec.queries.descendants(root).map((n) => [n.thread_id, n.status])).toEqual([
      [a, 'deleted'],
    ]);
  });

  it('maps a thread to its current name; the last rename wins; gone at the tombstone', () => {
    const t = spec.root({ name: 'first' });
    expect(spec.queries.sessionName(t)).toBe('first');
    rename(t, 'second'); // the decider trims names: see threadDecider.spec
    expect(spec.queries.sessionName(t)).toBe('second');
    spec.deleteRequested(t);
    expect(spec.queries.sessionName(t)).toBeNull();
  });
});
