import { describe, expect, it } from 'vitest';
import {
  type ChildObservation,
  type DeletionPlan,
  planDeletion,
  retryDelayMs,
} from '../../src/domain/deletionProcess.js';
import type { DomainEvent } from '../../src/domain/events.js';
import type { PurgeStep } from '../../src/domain/purgeSteps.js';
import { fold } from '../../src/domain/threadState.js';
import { newId, startedData } from '../support/threads.js';

const id = newId();
const child = newId();
const history = (...more: DomainEvent[]): DomainEvent[] => [
  { type: 'ThreadStarted', data: startedData({ threadId: id, rolloutPath: '/s/a.jsonl' }) },
  { type: 'ThreadArchived', data: { threadId: id, rolloutPath: '/x/a.jsonl' } },
  {
    type: 'ThreadDeleteRequested',
    data: { threadId: id, rootThreadId: id, reason: null, commits: null },
  },
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

type Planning = { nowMs: number; children: ChildObservation[] };

/**
 * given(history).whenPlanned(at).thenPlans(plan): what the thread's deletion needs, planned at
 * `at.nowMs` (1000 unless given) with its children as `at.children` shows them (none unless given).
 */
const given = (events: DomainEvent[]) => ({
  whenPlanned: (at: Partial<Planning> = {}) => {
    const plan = planDeletion(id, fold(events), { nowMs: 1000, children: [], ...at });
    const due = plan.kind === 'Purge' ? plan.due.map((d) => d.step) : plan;
    return {
      thenPlans: (expected: DeletionPlan) => expect(plan).toEqual(expected),
      /** A purge of exactly these steps, now. */
      thenPurges: (steps: PurgeStep[]) => expect(due).toEqual(steps),
      /** A purge that runs this step now, among others. */
      thenPurgesAlso: (step: PurgeStep) => expect(due).toContainEqual(step),
      /** A purge that does not run this step now. */
      thenHoldsBack: (step: PurgeStep) => expect(due).not.toContainEqual(step),
      /** A purge whose held-back steps may run again at this time. */
      thenRetriesAt: (retryAtMs: number) =>
        expect(plan).toMatchObject({ kind: 'Purge', retryAtMs }),
    };
  },
});

describe('deletion process: given a thread history, what its deletion needs', () => {
  it('needs nothing for a live thread', () => {
    given(history().slice(0, 2)).whenPlanned().thenPlans({ kind: 'NotDeleting' });
  });
  it('purges every location the rollout was ever recorded at, with its compressed sibling, and the content key', () => {
    given(history())
      .whenPlanned()
      .thenPurges([
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
    given(history(failed)).whenPlanned().thenRetriesAt(5000);
    given(history(failed))
      .whenPlanned()
      .thenHoldsBack({ kind: 'PurgeRollout', path: '/s/a.jsonl' });
    const others = ['/s/a.jsonl.zst', '/x/a.jsonl', '/x/a.jsonl.zst'].map(purged);
    given(history(failed, ...others, shred))
      .whenPlanned()
      .thenPlans({ kind: 'Purge', due: [], retryAtMs: 5000 });
    given(history(failed, ...others, shred))
      .whenPlanned({ nowMs: 5000 })
      .thenPlans({
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
    given(all)
      .whenPlanned()
      .thenPlans({ kind: 'AwaitChildren', children: [child] });
    const deleting: ChildObservation = { threadId: child, startedUnder: id, status: 'deleting' };
    given(all)
      .whenPlanned({ children: [deleting] })
      .thenPlans({ kind: 'AwaitChildren', children: [child] });
    given(all)
      .whenPlanned({ children: [{ ...deleting, status: 'deleted' }] })
      .thenPlans({ kind: 'Complete' });
    const done: DomainEvent = { type: 'ThreadDeleted', data: { threadId: id, rootThreadId: id } };
    given([...all, done])
      .whenPlanned()
      .thenPlans({ kind: 'Done' });
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
      {
        type: 'ThreadDeleteRequested',
        data: { threadId: id, rootThreadId: id, reason: null, commits: null },
      },
    ];
    given(imported).whenPlanned().thenPurgesAlso({ kind: 'InventoryCodexHome' });
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
    given([...imported, found])
      .whenPlanned()
      .thenPurges([
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
    given([...imported, found, databasePurged])
      .whenPlanned()
      .thenHoldsBack({ kind: 'PurgeCodexDatabase', path: '/h/state_5.sqlite' });
  });
});

describe('deletion retries', () => {
  it('wait twice as long after each failed attempt, never longer than the cap', () => {
    const p = { baseMs: 100, capMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, p))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });
});
