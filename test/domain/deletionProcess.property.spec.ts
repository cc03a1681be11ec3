import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/domain/commands.js';
import { observeChild, planDeletion, retryDelayMs } from '../../src/domain/deletionProcess.js';
import type { DomainEvent } from '../../src/domain/events.js';
import type { ThreadId } from '../../src/domain/ids.js';
import { type PurgeStep, stepDoneBy, stepKey } from '../../src/domain/purgeSteps.js';
import { decide } from '../../src/domain/threadDecider.js';
import { evolve, initialState, type ThreadState } from '../../src/domain/threadState.js';
import { newId, startedData } from '../support/threads.js';

const codex = {
  source: 'cli' as const,
  forkedFromId: null,
  agentNickname: null,
  agentRole: null,
  threadSource: null,
};

/** The record of a step done, as an executor would make it. */
const doneCommand = (
  threadId: ThreadId,
  step: PurgeStep,
  found: { rollouts: string[]; databases: string[] },
): Command => {
  switch (step.kind) {
    case 'InventoryCodexHome':
      return {
        type: 'RecordCodexHomeInventoried',
        result: {
          threadId,
          home: '/h',
          rollouts: found.rollouts,
          sessionIndexFiles: ['/h/session_index.jsonl'],
          historyFiles: ['/h/history.jsonl'],
          databases: found.databases,
        },
      };
    case 'PurgeRollout':
      return {
        type: 'RecordRolloutPurged',
        result: { threadId, path: step.path, outcome: 'absent', sizeBytes: null, sha256: null },
      };
    case 'PurgeSessionIndex':
      return {
        type: 'RecordSessionIndexPurged',
        result: { threadId, path: step.path, linesRemoved: 0 as never },
      };
    case 'PurgeHistoryFile':
      return {
        type: 'RecordHistoryFilePurged',
        result: { threadId, path: step.path, linesRemoved: 1 as never },
      };
    case 'PurgeCodexDatabase':
      return {
        type: 'RecordCodexDatabasePurged',
        result: { threadId, path: step.path, tables: [] },
      };
    case 'ShredContent':
      return { type: 'RecordContentShredded', result: { threadId, outcome: 'destroyed' } };
  }
};

describe('deletion process, over any tree and any run of failures', () => {
  it('records every artifact once, never closes a thread before its steps and children, and ends with the root', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { minLength: 0, maxLength: 12 }), // parent index of each non-root thread
        fc.array(fc.boolean(), { minLength: 1, maxLength: 200 }), // step outcomes in turn: true = done
        fc.array(fc.constantFrom('/h/state_5.sqlite', '/h/logs_2.sqlite', '/h/goals_1.sqlite'), {
          maxLength: 3,
        }),
        (parents, outcomes, databases) => {
          const ids: ThreadId[] = [newId()];
          for (const _ of parents) ids.push(newId());
          const parentOf = new Map<ThreadId, ThreadId>(
            parents.map((p, i) => [ids[i + 1]!, ids[p % (i + 1)]!]),
          );
          const streams = new Map<ThreadId, DomainEvent[]>();
          const state = (id: ThreadId): ThreadState =>
            (streams.get(id) ?? []).reduce(evolve, initialState);
          const apply = (id: ThreadId, c: Command): E.Either<unknown, DomainEvent[]> => {
            const r = decide(c, state(id));
            if (E.isRight(r)) streams.set(id, [...(streams.get(id) ?? []), ...r.right]);
            return r;
          };
          for (const id of ids) {
            const parent = parentOf.get(id) ?? null;
            if (parent)
              apply(parent, { type: 'SpawnSubagent', parentThreadId: parent, childThreadId: id });
            apply(id, {
              type: 'StartThread',
              thread: startedData({
                threadId: id,
                parentThreadId: parent,
                rolloutPath: `/h/sessions/rollout-${id}.jsonl`,
                codex,
              }),
            });
          }
          for (const id of ids)
            apply(
              id,
              id === ids[0]
                ? { type: 'DeleteThread', threadId: id, reason: null }
                : { type: 'TombstoneDescendant', threadId: id, rootThreadId: ids[0]! },
            );

          let now = 0;
          let turn = 0;
          const closed: ThreadId[] = [];
          for (let round = 0; round < 500 && closed.length < ids.length; round++) {
            for (const id of ids) {
              const s = state(id);
              const children = s.children.map((c) => observeChild(c, state(c)));
              const plan = planDeletion(id, s, { nowMs: now, children });
              if (plan.kind === 'Purge') {
                for (const { step, attempt } of plan.due) {
                  const ok = outcomes[turn++ % outcomes.length] || attempt > 3; // every step succeeds in the end
                  const found = { rollouts: [`/h/sessions/copy-${id}.jsonl`], databases };
                  const c: Command = ok
                    ? doneCommand(id, step, found)
                    : {
                        type: 'RecordStepFailed',
                        failure: {
                          threadId: id,
                          step: stepKey(step),
                          error: 'busy',
                          attempt: attempt as never,
                          nextRetryAtMs: now + retryDelayMs(attempt),
                        },
                      };
                  // A planned step is never refused: it is not done yet, and the thread is being deleted.
                  expect(E.isRight(apply(id, c))).toBe(true);
                }
              } else if (plan.kind === 'Complete') {
                expect(
                  E.isRight(apply(id, { type: 'CompleteDeletion', threadId: id, children })),
                ).toBe(true);
                closed.push(id);
              } else {
                // Not complete: the decider refuses to close it too.
                if (plan.kind !== 'Done')
                  expect(
                    E.isLeft(decide({ type: 'CompleteDeletion', threadId: id, children }, s)),
                  ).toBe(true);
              }
            }
            now += 60_000;
          }
          expect(closed.length).toBe(ids.length);
          expect(closed.at(-1)).toBe(ids[0]);
          for (const id of ids) {
            const parent = parentOf.get(id);
            if (parent) expect(closed.indexOf(id)).toBeLessThan(closed.indexOf(parent));
            const keys = (streams.get(id) ?? []).flatMap((e) =>
              stepDoneBy(e) ? [stepDoneBy(e)!.key] : [],
            );
            expect(new Set(keys).size).toBe(keys.length); // each step recorded once
            // Everything found was purged: both rollouts (and their siblings), every database, the history.
            for (const k of [
              `rollout:/h/sessions/copy-${id}.jsonl`,
              `rollout:/h/sessions/rollout-${id}.jsonl.zst`,
              'history:/h/history.jsonl',
              'content',
              ...databases.map((d) => `database:${d}`),
            ]) {
              expect(keys).toContain(k);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
