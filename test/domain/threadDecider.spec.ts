import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/domain/commands.js';
import type { ChildObservation } from '../../src/domain/deletionProcess.js';
import type { DomainError } from '../../src/domain/errors.js';
import type { DomainEvent } from '../../src/domain/events.js';
import {
  evolve,
  initialState,
  MAX_NAME_LENGTH,
  threadDecider,
} from '../../src/domain/threadDecider.js';
import { DeciderSpecification } from '../support/deciderSpecification.js';
import { newId, startedData } from '../support/threads.js';

const given = DeciderSpecification.for(threadDecider);

const id = newId();
const started: DomainEvent = { type: 'ThreadStarted', data: startedData({ threadId: id }) };
const tombstone: DomainEvent = {
  type: 'ThreadDeleteRequested',
  data: { threadId: id, rootThreadId: id, reason: null, commits: null },
};
const deleted: DomainEvent = { type: 'ThreadDeleted', data: { threadId: id, rootThreadId: id } };
const archived: DomainEvent = { type: 'ThreadArchived', data: { threadId: id, rolloutPath: null } };

const rename = (name: string): Command => ({
  type: 'RenameThread',
  threadId: id,
  name,
  indexedIn: null,
});
const renamed = (name: string): DomainEvent => ({
  type: 'ThreadRenamed',
  data: { threadId: id, name, indexedIn: null },
});

const everyNonPurgeCommand: Command[] = [
  { type: 'StartThread', thread: startedData({ threadId: id }) },
  { type: 'SpawnSubagent', parentThreadId: id, childThreadId: newId() },
  rename('x'),
  { type: 'ArchiveThread', threadId: id, rolloutPath: null },
  { type: 'UnarchiveThread', threadId: id, rolloutPath: null },
];

describe('thread decider', () => {
  describe('starting', () => {
    it('starts a thread that does not exist', () => {
      const data = startedData({ threadId: id });
      given()
        .when({ type: 'StartThread', thread: data })
        .then([{ type: 'ThreadStarted', data }]);
    });
    it('refuses to start a thread twice', () => {
      given([started])
        .when({ type: 'StartThread', thread: startedData({ threadId: id }) })
        .thenFails({ kind: 'ThreadAlreadyExists', threadId: id });
    });
    it('starts a thread with its name trimmed', () => {
      const data = startedData({ threadId: id, name: '  Plan  ' });
      given()
        .when({ type: 'StartThread', thread: data })
        .then([{ type: 'ThreadStarted', data: { ...data, name: 'Plan' } }]);
    });
    it('refuses to start a thread with a blank name', () => {
      given()
        .when({ type: 'StartThread', thread: startedData({ threadId: id, name: '   ' }) })
        .thenFails({ kind: 'InvalidName', threadId: id, reason: 'name must not be empty' });
    });
  });

  describe('limits and loops', () => {
    it('refuses a thread started as its own parent', () => {
      given()
        .when({ type: 'StartThread', thread: startedData({ threadId: id, parentThreadId: id }) })
        .thenFails({ kind: 'SelfSpawn', threadId: id });
    });
    it('takes a name of MAX_NAME_LENGTH characters once trimmed, and refuses a longer one', () => {
      given([started])
        .when(rename(` ${'a'.repeat(MAX_NAME_LENGTH)} `))
        .then([renamed('a'.repeat(MAX_NAME_LENGTH))]);
      given([started])
        .when(rename('a'.repeat(MAX_NAME_LENGTH + 1)))
        .thenFails({
          kind: 'InvalidName',
          threadId: id,
          reason: `must be at most ${MAX_NAME_LENGTH} characters, got ${MAX_NAME_LENGTH + 1}`,
        });
    });
  });

  describe('renaming', () => {
    it('renames a thread with the name trimmed', () => {
      given([started])
        .when(rename('  Fix the build \n'))
        .then([renamed('Fix the build')]);
    });
    it('refuses a name longer than 4,096 characters, and takes one of exactly that length', () => {
      given([started])
        .when(rename('x'.repeat(4097)))
        .thenFails({
          kind: 'InvalidName',
          threadId: id,
          reason: 'must be at most 4096 characters, got 4097',
        });
      given([started])
        .when(rename(` ${'x'.repeat(4096)} `))
        .then([renamed('x'.repeat(4096))]);
    });
    it('refuses an empty or blank name', () => {
      for (const name of ['', '   ', '\t\n']) {
        given([started])
          .when(rename(name))
          .thenFails({ kind: 'InvalidName', threadId: id, reason: 'name must not be empty' });
      }
    });
    it('refuses to rename a thread that does not exist', () => {
      given().when(rename('x')).thenFails({ kind: 'ThreadNotFound', threadId: id });
    });
    it('refuses to rename an archived thread, as Codex does', () => {
      given([started, archived])
        .when(rename('x'))
        .thenFails({ kind: 'ThreadArchived', threadId: id });
    });
  });

  describe('archiving', () => {
    it('archives a live thread and records where the rollout went', () => {
      given([started])
        .when({ type: 'ArchiveThread', threadId: id, rolloutPath: '/a/r.jsonl' })
        .then([{ type: 'ThreadArchived', data: { threadId: id, rolloutPath: '/a/r.jsonl' } }]);
    });
    it('refuses to archive a thread twice', () => {
      given([started, archived])
        .when({ type: 'ArchiveThread', threadId: id, rolloutPath: null })
        .thenFails({ kind: 'AlreadyArchived', threadId: id });
    });
    it('refuses to unarchive a thread that is not archived', () => {
      given([started])
        .when({ type: 'UnarchiveThread', threadId: id, rolloutPath: null })
        .thenFails({ kind: 'NotArchived', threadId: id });
    });
    it('unarchives an archived thread', () => {
      given([started, archived])
        .when({ type: 'UnarchiveThread', threadId: id, rolloutPath: null })
        .then([{ type: 'ThreadUnarchived', data: { threadId: id, rolloutPath: null } }]);
    });
  });

  describe('spawning', () => {
    it('records the spawn edge on the parent, once', () => {
      const child = newId();
      const spawn: Command = { type: 'SpawnSubagent', parentThreadId: id, childThreadId: child };
      const edge: DomainEvent = {
        type: 'SubagentSpawned',
        data: { parentThreadId: id, childThreadId: child },
      };
      given([started]).when(spawn).then([edge]);
      given([started, edge]).when(spawn).thenNothingHappened();
    });
    it('refuses a child under a tombstoned parent', () => {
      for (const [history, status] of [
        [[started, tombstone], 'deleting'],
        [[started, tombstone, deleted], 'deleted'],
      ] as const) {
        given(history)
          .when({ type: 'SpawnSubagent', parentThreadId: id, childThreadId: newId() })
          .thenFails({ kind: 'ThreadTombstoned', threadId: id, status });
      }
    });
  });

  describe('deleting', () => {
    it('commits the tombstone of a live thread, with the reason given', () => {
      given([started])
        .when({ type: 'DeleteThread', threadId: id, reason: 'user asked' })
        .then([
          {
            type: 'ThreadDeleteRequested',
            data: {
              threadId: id,
              rootThreadId: id,
              reason: 'user asked',
              commits: { children: [], steps: ['content'] },
            },
          },
        ]);
    });
    it('commits the tombstone to the children its stream names and every step its history calls for', () => {
      const child = newId();
      given([
        { type: 'ThreadStarted', data: startedData({ threadId: id, rolloutPath: '/s/r.jsonl' }) },
        { type: 'SubagentSpawned', data: { parentThreadId: id, childThreadId: child } },
        { type: 'ThreadArchived', data: { threadId: id, rolloutPath: '/a/r.jsonl' } },
      ])
        .when({ type: 'DeleteThread', threadId: id, reason: null })
        .then([
          {
            type: 'ThreadDeleteRequested',
            data: {
              threadId: id,
              rootThreadId: id,
              reason: null,
              commits: {
                children: [child],
                steps: [
                  'rollout:/s/r.jsonl',
                  'rollout:/s/r.jsonl.zst',
                  'rollout:/a/r.jsonl',
                  'rollout:/a/r.jsonl.zst',
                  'content',
                ],
              },
            },
          },
        ]);
    });
    it('refuses to delete a thread that does not exist', () => {
      given()
        .when({ type: 'DeleteThread', threadId: id, reason: null })
        .thenFails({ kind: 'ThreadNotFound', threadId: id });
    });
    it('changes nothing on a second delete, and says so', () => {
      given([started, tombstone])
        .when({ type: 'DeleteThread', threadId: id, reason: null })
        .thenFails({ kind: 'AlreadyDeleted', threadId: id, status: 'deleting' });
      given([started, tombstone, deleted])
        .when({ type: 'DeleteThread', threadId: id, reason: null })
        .thenFails({ kind: 'AlreadyDeleted', threadId: id, status: 'deleted' });
    });
    it('refuses every command but the purge steps once tombstoned', () => {
      for (const history of [[started, tombstone], [started, tombstone, deleted], [tombstone]]) {
        const status = history.includes(deleted) ? 'deleted' : 'deleting';
        for (const c of everyNonPurgeCommand) {
          given(history).when(c).thenFails({ kind: 'ThreadTombstoned', threadId: id, status });
        }
      }
    });
    it('tombstones a descendant whose stream does not exist yet, so a late start is refused', () => {
      const root = newId();
      const descendantTombstone: DomainEvent = {
        type: 'ThreadDeleteRequested',
        data: {
          threadId: id,
          rootThreadId: root,
          reason: null,
          commits: { children: [], steps: ['content'] },
        },
      };
      given()
        .when({ type: 'TombstoneDescendant', threadId: id, rootThreadId: root })
        .then([descendantTombstone]);
      given([descendantTombstone])
        .when({ type: 'StartThread', thread: startedData({ threadId: id }) })
        .thenFails({ kind: 'ThreadTombstoned', threadId: id, status: 'deleting' });
    });
    it('tombstones an already tombstoned descendant by doing nothing', () => {
      given([started, tombstone])
        .when({ type: 'TombstoneDescendant', threadId: id, rootThreadId: id })
        .thenNothingHappened();
    });
  });

  describe('purge steps', () => {
    const withRollout: DomainEvent = {
      type: 'ThreadStarted',
      data: startedData({ threadId: id, rolloutPath: '/s/r.jsonl' }),
    };
    const purged = (path: string) =>
      ({
        type: 'RolloutPurged',
        data: { threadId: id, path, outcome: 'absent', sizeBytes: null, sha256: null },
      }) as const;
    const recordPurged = (path: string): Command => ({
      type: 'RecordRolloutPurged',
      result: purged(path).data,
    });
    const shredded: DomainEvent = {
      type: 'ThreadContentShredded',
      data: { threadId: id, outcome: 'destroyed' },
    };

    it('refuses a purge step on a live thread', () => {
      given([withRollout])
        .when(recordPurged('/s/r.jsonl'))
        .thenFails({ kind: 'NotTombstoned', threadId: id });
    });
    it('records a rollout that turns up after the deletion: a tombstone is forever', () => {
      const late = purged('/s/again.jsonl');
      const closed = [withRollout, tombstone, deleted];
      given(closed).when(recordPurged('/s/again.jsonl')).then([late]);
      given([...closed, late])
        .when(recordPurged('/s/again.jsonl'))
        .thenFails({ kind: 'StepAlreadyRecorded', threadId: id, step: 'rollout:/s/again.jsonl' });
    });
    it('refuses to record a step twice', () => {
      given([withRollout, tombstone, purged('/s/r.jsonl')])
        .when(recordPurged('/s/r.jsonl'))
        .thenFails({ kind: 'StepAlreadyRecorded', threadId: id, step: 'rollout:/s/r.jsonl' });
      given([withRollout, tombstone, shredded])
        .when({ type: 'RecordContentShredded', result: { threadId: id, outcome: 'absent' } })
        .thenFails({ kind: 'StepAlreadyRecorded', threadId: id, step: 'content' });
    });
    it('completes only when every step is done and every child, as its own stream shows it, is deleted', () => {
      const child = newId();
      const complete = (children: ChildObservation[]): Command => ({
        type: 'CompleteDeletion',
        threadId: id,
        children,
      });
      const observed = (
        status: ChildObservation['status'],
        startedUnder: ChildObservation['startedUnder'] = id,
      ): ChildObservation => ({
        threadId: child,
        startedUnder,
        status,
      });
      given([withRollout, tombstone, purged('/s/r.jsonl')])
        .when(complete([]))
        .thenFails({
          kind: 'DeletionIncomplete',
          threadId: id,
          remaining: ['rollout:/s/r.jsonl.zst', 'content'],
        });
      const spawned: DomainEvent = {
        type: 'SubagentSpawned',
        data: { parentThreadId: id, childThreadId: child },
      };
      const allSteps = [
        withRollout,
        spawned,
        tombstone,
        purged('/s/r.jsonl'),
        purged('/s/r.jsonl.zst'),
        shredded,
      ];
      const stillOpen: DomainError = {
        kind: 'DeletionIncomplete',
        threadId: id,
        remaining: [`child:${child}`],
      };
      // A child nobody looked at, or one still being deleted, holds the parent open.
      given(allSteps).when(complete([])).thenFails(stillOpen);
      given(allSteps)
        .when(complete([observed('deleting')]))
        .thenFails(stillOpen);
      given(allSteps)
        .when(complete([observed('deleting', 'unstarted')]))
        .thenFails(stillOpen);
      given(allSteps)
        .when(complete([observed('deleted')]))
        .then([deleted]);
      // An edge to a thread that was started under another parent is not this thread's child.
      given(allSteps)
        .when(complete([observed('live', newId())]))
        .then([deleted]);
    });
  });

  describe('state', () => {
    it('folds a started, archived, tombstoned history into a deleting, archived state rooted at its thread', () => {
      const s = [started, archived, tombstone].reduce(evolve, initialState);
      expect(s).toMatchObject({ status: 'deleting', archived: true, rootThreadId: id });
    });
  });
});
