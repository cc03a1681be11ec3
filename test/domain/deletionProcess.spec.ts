import { describe, expect, it } from 'vitest';
import { nextStep, retryDelayMs } from '../../src/domain/deletionProcess.js';
import type { DomainEvent } from '../../src/domain/events.js';
import { fold } from '../../src/domain/threadState.js';
import { newId, startedData } from '../support/threads.js';

const id = newId();
const child = newId();
const history = (...more: DomainEvent[]): DomainEvent[] => [
  { type: 'ThreadStarted', data: startedData({ threadId: id, rolloutPath: '/s/a.jsonl' }) },
  { type: 'ThreadArchived', data: { threadId: id, rolloutPath: '/x/a.jsonl' } },
  { type: 'ThreadDeleteRequested', data: { threadId: id, rootThreadId: id, reason: null } },
  ...more,
];
const purged = (path: string): DomainEvent => ({
  type: 'RolloutPurged',
  data: { threadId: id, path, outcome: 'removed', sizeBytes: 1, sha256: 'x' },
});
const ctx = { nowMs: 1000, pendingChildren: [] };

describe('deletion process: given a history, the next step', () => {
  it('is nothing for a live thread', () => {
    expect(nextStep(fold(history().slice(0, 2)), ctx)).toEqual({ kind: 'NotDeleting' });
  });
  it('purges every location the rollout was ever recorded at, with its compressed sibling', () => {
    const seen: string[] = [];
    let events = history();
    for (;;) {
      const step = nextStep(fold(events), ctx);
      if (step.kind !== 'Run' || step.step.kind !== 'PurgeRollout') break;
      seen.push(step.step.path);
      events = [...events, purged(step.step.path)];
    }
    expect(seen).toEqual(['/s/a.jsonl', '/s/a.jsonl.zst', '/x/a.jsonl', '/x/a.jsonl.zst']);
    expect(nextStep(fold(events), ctx)).toEqual({ kind: 'Run', step: { kind: 'ShredContent' }, attempt: 1 });
  });
  it('backs off a failed step but runs the others meanwhile', () => {
    const failed: DomainEvent = {
      type: 'DeletionStepFailed',
      data: { threadId: id, step: 'rollout:/s/a.jsonl', error: 'EACCES', attempt: 1 as never, nextRetryAtMs: 5000 },
    };
    expect(nextStep(fold(history(failed)), ctx)).toEqual({
      kind: 'Run',
      step: { kind: 'PurgeRollout', path: '/s/a.jsonl.zst' },
      attempt: 1,
    });
    const others = ['/s/a.jsonl.zst', '/x/a.jsonl', '/x/a.jsonl.zst'].map(purged);
    const shred: DomainEvent = { type: 'ThreadContentShredded', data: { threadId: id, outcome: 'destroyed' } };
    expect(nextStep(fold(history(failed, ...others, shred)), ctx)).toEqual({ kind: 'Backoff', untilMs: 5000 });
    expect(nextStep(fold(history(failed, ...others, shred)), { ...ctx, nowMs: 5000 })).toEqual({
      kind: 'Run',
      step: { kind: 'PurgeRollout', path: '/s/a.jsonl' },
      attempt: 2,
    });
  });
  it('waits for the children, then completes, then is done', () => {
    const steps = ['/s/a.jsonl', '/s/a.jsonl.zst', '/x/a.jsonl', '/x/a.jsonl.zst'].map(purged);
    const shred: DomainEvent = { type: 'ThreadContentShredded', data: { threadId: id, outcome: 'absent' } };
    const all = history(...steps, shred);
    expect(nextStep(fold(all), { ...ctx, pendingChildren: [child] })).toEqual({ kind: 'AwaitChildren', children: [child] });
    expect(nextStep(fold(all), ctx)).toEqual({ kind: 'Complete' });
    const done = [...all, { type: 'ThreadDeleted', data: { threadId: id, rootThreadId: id } } as DomainEvent];
    expect(nextStep(fold(done), ctx)).toEqual({ kind: 'Done' });
  });
  it('backs off exponentially, capped', () => {
    const p = { baseMs: 100, capMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, p))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
});
