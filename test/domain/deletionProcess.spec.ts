import { describe, expect, it } from 'vitest';
import {
  type ChildObservation,
  planDeletion,
  retryDelayMs,
} from '../../src/domain/deletionProcess.js';
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
const shred: DomainEvent = {
  type: 'ThreadContentShredded',
  data: { threadId: id, outcome: 'destroyed' },
};
const ctx = { nowMs: 1000, children: [] as ChildObservation[] };
const plan = (events: DomainEvent[], c = ctx) => planDeletion(id, fold(events), c);
const dueSteps = (events: DomainEvent[], c = ctx) => {
  const p = plan(events, c);
  return p.kind === 'Purge' ? p.due.map((d) => d.step) : p;
};

describe('deletion process: given a history, what the deletion needs', () => {
  it('is nothing for a live thread', () => {
    expect(plan(history().slice(0, 2))).toEqual({ kind: 'NotDeleting' });
  });
  it('purges every location the rollout was ever recorded at, with its compressed sibling, and the content key', () => {
    expect(dueSteps(history())).toEqual([
      { kind: 'PurgeRollout', path: '/s/a.jsonl' },
      { kind: 'PurgeRollout', path: '/s/a.jsonl.zst' },
      { kind: 'PurgeRollout', path: '/x/a.jsonl' },
      { kind: 'PurgeRollout', path: '/x/a.jsonl.zst' },
      { kind: 'ShredContent' },
    ]);
  });
  it('backs off a failed step but runs the others meanwhile', () => {
    const failed: DomainEvent = {
      type: 'DeletionStepFailed',
      data: {
        threadId: id,
        step: 'rollout:/s/a.jsonl',
        error: 'EACCES',
        attempt: 1 as never,
        nextRetryAtMs: 5000,
      },
    };
    expect(plan(history(failed))).toMatchObject({ kind: 'Purge', retryAtMs: 5000 });
    expect(dueSteps(history(failed))).not.toContainEqual({
      kind: 'PurgeRollout',
      path: '/s/a.jsonl',
    });
    const others = ['/s/a.jsonl.zst', '/x/a.jsonl', '/x/a.jsonl.zst'].map(purged);
    expect(plan(history(failed, ...others, shred))).toEqual({
      kind: 'Purge',
      due: [],
      retryAtMs: 5000,
    });
    expect(plan(history(failed, ...others, shred), { ...ctx, nowMs: 5000 })).toEqual({
      kind: 'Purge',
      due: [{ step: { kind: 'PurgeRollout', path: '/s/a.jsonl' }, attempt: 2 }],
      retryAtMs: null,
    });
  });
  it('waits for the children as their streams show them, then completes, then is done', () => {
    const spawned: DomainEvent = {
      type: 'SubagentSpawned',
      data: { parentThreadId: id, childThreadId: child },
    };
    const all = history(
      spawned,
      ...['/s/a.jsonl', '/s/a.jsonl.zst', '/x/a.jsonl', '/x/a.jsonl.zst'].map(purged),
      shred,
    );
    expect(plan(all)).toEqual({ kind: 'AwaitChildren', children: [child] });
    const deleting: ChildObservation = { threadId: child, startedUnder: id, status: 'deleting' };
    expect(plan(all, { ...ctx, children: [deleting] })).toEqual({
      kind: 'AwaitChildren',
      children: [child],
    });
    expect(plan(all, { ...ctx, children: [{ ...deleting, status: 'deleted' }] })).toEqual({
      kind: 'Complete',
    });
    const done = [
      ...all,
      { type: 'ThreadDeleted', data: { threadId: id, rootThreadId: id } } as DomainEvent,
    ];
    expect(plan(done)).toEqual({ kind: 'Done' });
  });
  it('looks in the Codex home of a thread imported from one, and purges everything found there', () => {
    const codex = {
      source: 'cli' as const,
      forkedFromId: null,
      agentNickname: null,
      agentRole: null,
      threadSource: null,
    };
    const imported: DomainEvent[] = [
      {
        type: 'ThreadStarted',
        data: startedData({ threadId: id, rolloutPath: '/h/sessions/a.jsonl', codex }),
      },
      { type: 'ThreadDeleteRequested', data: { threadId: id, rootThreadId: id, reason: null } },
    ];
    expect(dueSteps(imported)).toContainEqual({ kind: 'InventoryCodexHome' });
    const found: DomainEvent = {
      type: 'CodexHomeInventoried',
      data: {
        threadId: id,
        home: '/h',
        rollouts: ['/h/sessions/a.jsonl', '/h/sessions/copy.jsonl'],
        sessionIndexFiles: ['/h/session_index.jsonl'],
        historyFiles: ['/h/history.jsonl'],
        databases: ['/h/logs_2.sqlite', '/h/state_5.sqlite'],
      },
    };
    expect(dueSteps([...imported, found])).toEqual([
      { kind: 'PurgeRollout', path: '/h/sessions/a.jsonl' },
      { kind: 'PurgeRollout', path: '/h/sessions/a.jsonl.zst' },
      { kind: 'PurgeRollout', path: '/h/sessions/copy.jsonl' },
      { kind: 'PurgeRollout', path: '/h/sessions/copy.jsonl.zst' },
      { kind: 'PurgeSessionIndex', path: '/h/session_index.jsonl' },
      { kind: 'PurgeHistoryFile', path: '/h/history.jsonl' },
      { kind: 'PurgeCodexDatabase', path: '/h/logs_2.sqlite' },
      { kind: 'PurgeCodexDatabase', path: '/h/state_5.sqlite' },
      { kind: 'ShredContent' },
    ]);
    const databasePurged: DomainEvent = {
      type: 'CodexDatabasePurged',
      data: {
        threadId: id,
        path: '/h/state_5.sqlite',
        tables: [{ table: 'threads', rows: 1 as never }],
      },
    };
    expect(dueSteps([...imported, found, databasePurged])).not.toContainEqual({
      kind: 'PurgeCodexDatabase',
      path: '/h/state_5.sqlite',
    });
  });
  it('backs off exponentially, capped', () => {
    const p = { baseMs: 100, capMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, p))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });
});
