import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/domain/commands.js';
import type { ChildObservation } from '../../src/domain/deletionProcess.js';
import type { DomainEvent } from '../../src/domain/events.js';
import { decide, evolve, initialState, MAX_NAME_LENGTH } from '../../src/domain/threadDecider.js';
import { fold } from '../../src/domain/threadState.js';
import { newId, startedData } from '../support/threads.js';

/** given(history).when(command) -> Either<error, new events> */
const given = (...history: DomainEvent[]) => ({
  when: (c: Command) => decide(c, fold(history)),
});

const id = newId();
const started: DomainEvent = { type: 'ThreadStarted', data: startedData({ threadId: id }) };
const tombstone: DomainEvent = {
  type: 'ThreadDeleteRequested',
  data: { threadId: id, rootThreadId: id, reason: null },
};
const deleted: DomainEvent = { type: 'ThreadDeleted', data: { threadId: id, rootThreadId: id } };
const archived: DomainEvent = { type: 'ThreadArchived', data: { threadId: id, rolloutPath: null } };

const everyNonPurgeCommand: Command[] = [
  { type: 'StartThread', thread: startedData({ threadId: id }) },
  { type: 'SpawnSubagent', parentThreadId: id, childThreadId: newId() },
  { type: 'RenameThread', threadId: id, name: 'x', indexedIn: null },
  { type: 'ArchiveThread', threadId: id, rolloutPath: null },
  { type: 'UnarchiveThread', threadId: id, rolloutPath: null },
];

describe('thread decider', () => {
  describe('starting', () => {
    it('starts a thread that does not exist', () => {
      const data = startedData({ threadId: id });
      expect(given().when({ type: 'StartThread', thread: data })).toEqual(
        E.right([{ type: 'ThreadStarted', data }]),
      );
    });
    it('refuses to start a thread twice', () => {
      expect(
        given(started).when({ type: 'StartThread', thread: startedData({ threadId: id }) }),
      ).toEqual(E.left({ kind: 'ThreadAlreadyExists', threadId: id }));
    });
    it('trims a starting name and refuses an empty one', () => {
      const r = given().when({
        type: 'StartThread',
        thread: startedData({ threadId: id, name: '  Plan  ' }),
      });
      expect(E.isRight(r) && r.right[0]!.type === 'ThreadStarted' && r.right[0]!.data.name).toBe(
        'Plan',
      );
      expect(
        given().when({ type: 'StartThread', thread: startedData({ threadId: id, name: '   ' }) }),
      ).toEqual(E.left({ kind: 'InvalidName', threadId: id, reason: 'name must not be empty' }));
    });
  });

  describe('limits and loops', () => {
    it('refuses a thread started as its own parent', () => {
      expect(
        given().when({
          type: 'StartThread',
          thread: startedData({ threadId: id, parentThreadId: id }),
        }),
      ).toEqual(E.left({ kind: 'SelfSpawn', threadId: id }));
    });
    it('takes a name of MAX_NAME_LENGTH characters once trimmed, and refuses a longer one', () => {
      expect(
        E.isRight(
          given(started).when({
            type: 'RenameThread',
            threadId: id,
            name: ` ${'a'.repeat(MAX_NAME_LENGTH)} `,
            indexedIn: null,
          }),
        ),
      ).toBe(true);
      expect(
        given(started).when({
          type: 'RenameThread',
          threadId: id,
          name: 'a'.repeat(MAX_NAME_LENGTH + 1),
          indexedIn: null,
        }),
      ).toEqual(
        E.left({
          kind: 'InvalidName',
          threadId: id,
          reason: `must be at most ${MAX_NAME_LENGTH} characters, got ${MAX_NAME_LENGTH + 1}`,
        }),
      );
    });
  });

  describe('renaming', () => {
    it('trims the name', () => {
      expect(
        given(started).when({
          type: 'RenameThread',
          threadId: id,
          name: '  Fix the build \n',
          indexedIn: null,
        }),
      ).toEqual(
        E.right([
          { type: 'ThreadRenamed', data: { threadId: id, name: 'Fix the build', indexedIn: null } },
        ]),
      );
    });
    it('refuses a name longer than 4,096 characters, and takes one of exactly that length', () => {
      expect(
        given(started).when({
          type: 'RenameThread',
          threadId: id,
          name: 'x'.repeat(4097),
          indexedIn: null,
        }),
      ).toEqual(
        E.left({
          kind: 'InvalidName',
          threadId: id,
          reason: 'must be at most 4096 characters, got 4097',
        }),
      );
      expect(
        E.isRight(
          given(started).when({
            type: 'RenameThread',
            threadId: id,
            name: ` ${'x'.repeat(4096)} `,
            indexedIn: null,
          }),
        ),
      ).toBe(true);
    });
    it('refuses an empty or blank name', () => {
      for (const name of ['', '   ', '\t\n']) {
        expect(
          given(started).when({ type: 'RenameThread', threadId: id, name, indexedIn: null }),
        ).toEqual(E.left({ kind: 'InvalidName', threadId: id, reason: 'name must not be empty' }));
      }
    });
    it('refuses an unknown thread', () => {
      expect(
        given().when({ type: 'RenameThread', threadId: id, name: 'x', indexedIn: null }),
      ).toEqual(E.left({ kind: 'ThreadNotFound', threadId: id }));
    });
    it('refuses an archived thread, as Codex does', () => {
      expect(
        given(started, archived).when({
          type: 'RenameThread',
          threadId: id,
          name: 'x',
          indexedIn: null,
        }),
      ).toEqual(E.left({ kind: 'ThreadArchived', threadId: id }));
    });
  });

  describe('archiving', () => {
    it('archives a live thread and records where the rollout went', () => {
      expect(
        given(started).when({ type: 'ArchiveThread', threadId: id, rolloutPath: '/a/r.jsonl' }),
      ).toEqual(
        E.right([{ type: 'ThreadArchived', data: { threadId: id, rolloutPath: '/a/r.jsonl' } }]),
      );
    });
    it('refuses to archive twice, and to unarchive a thread that is not archived', () => {
      expect(
        given(started, archived).when({ type: 'ArchiveThread', threadId: id, rolloutPath: null }),
      ).toEqual(E.left({ kind: 'AlreadyArchived', threadId: id }));
      expect(
        given(started).when({ type: 'UnarchiveThread', threadId: id, rolloutPath: null }),
      ).toEqual(E.left({ kind: 'NotArchived', threadId: id }));
    });
    it('unarchives an archived thread', () => {
      expect(
        given(started, archived).when({ type: 'UnarchiveThread', threadId: id, rolloutPath: null }),
      ).toEqual(E.right([{ type: 'ThreadUnarchived', data: { threadId: id, rolloutPath: null } }]));
    });
  });

  describe('spawning', () => {
    it('records the spawn edge on the parent, once', () => {
      const child = newId();
      const edge: DomainEvent = {
        type: 'SubagentSpawned',
        data: { parentThreadId: id, childThreadId: child },
      };
      expect(
        given(started).when({ type: 'SpawnSubagent', parentThreadId: id, childThreadId: child }),
      ).toEqual(E.right([edge]));
      expect(
        given(started, edge).when({
          type: 'SpawnSubagent',
          parentThreadId: id,
          childThreadId: child,
        }),
      ).toEqual(E.right([]));
    });
    it('refuses a child under a tombstoned parent', () => {
      for (const history of [
        [started, tombstone],
        [started, tombstone, deleted],
      ]) {
        const r = given(...history).when({
          type: 'SpawnSubagent',
          parentThreadId: id,
          childThreadId: newId(),
        });
        expect(E.isLeft(r) && r.left.kind).toBe('ThreadTombstoned');
      }
    });
  });

  describe('deleting', () => {
    it('commits the tombstone', () => {
      expect(
        given(started).when({ type: 'DeleteThread', threadId: id, reason: 'user asked' }),
      ).toEqual(
        E.right([
          {
            type: 'ThreadDeleteRequested',
            data: { threadId: id, rootThreadId: id, reason: 'user asked' },
          },
        ]),
      );
    });
    it('refuses to delete an unknown thread', () => {
      expect(given().when({ type: 'DeleteThread', threadId: id, reason: null })).toEqual(
        E.left({ kind: 'ThreadNotFound', threadId: id }),
      );
    });
    it('changes nothing on a second delete, and says so', () => {
      expect(
        given(started, tombstone).when({ type: 'DeleteThread', threadId: id, reason: null }),
      ).toEqual(E.left({ kind: 'AlreadyDeleted', threadId: id, status: 'deleting' }));
      expect(
        given(started, tombstone, deleted).when({
          type: 'DeleteThread',
          threadId: id,
          reason: null,
        }),
      ).toEqual(E.left({ kind: 'AlreadyDeleted', threadId: id, status: 'deleted' }));
    });
    it('refuses every command but the purge steps once tombstoned', () => {
      for (const history of [[started, tombstone], [started, tombstone, deleted], [tombstone]]) {
        const status = history.includes(deleted) ? 'deleted' : 'deleting';
        for (const c of everyNonPurgeCommand) {
          expect(given(...history).when(c)).toEqual(
            E.left({ kind: 'ThreadTombstoned', threadId: id, status }),
          );
        }
      }
    });
    it('tombstones a descendant whose stream does not exist yet, so a late start is refused', () => {
      const root = newId();
      const r = given().when({ type: 'TombstoneDescendant', threadId: id, rootThreadId: root });
      expect(r).toEqual(
        E.right([
          {
            type: 'ThreadDeleteRequested',
            data: { threadId: id, rootThreadId: root, reason: null },
          },
        ]),
      );
      const history = E.isRight(r) ? r.right : [];
      expect(
        given(...history).when({ type: 'StartThread', thread: startedData({ threadId: id }) }),
      ).toEqual(E.left({ kind: 'ThreadTombstoned', threadId: id, status: 'deleting' }));
    });
    it('tombstones an already tombstoned descendant by doing nothing', () => {
      expect(
        given(started, tombstone).when({
          type: 'TombstoneDescendant',
          threadId: id,
          rootThreadId: id,
        }),
      ).toEqual(E.right([]));
    });
  });

  describe('purge steps', () => {
    const withRollout: DomainEvent = {
      type: 'ThreadStarted',
      data: startedData({ threadId: id, rolloutPath: '/s/r.jsonl' }),
    };
    const purged = (path: string): DomainEvent => ({
      type: 'RolloutPurged',
      data: { threadId: id, path, outcome: 'absent', sizeBytes: null, sha256: null },
    });
    const shredded: DomainEvent = {
      type: 'ThreadContentShredded',
      data: { threadId: id, outcome: 'destroyed' },
    };

    it('refuses a purge step on a live thread', () => {
      const p = purged('/s/r.jsonl');
      expect(
        given(withRollout).when({ type: 'RecordRolloutPurged', result: p.data as never }),
      ).toEqual(E.left({ kind: 'NotTombstoned', threadId: id }));
    });
    it('records a rollout that turns up after the deletion: a tombstone is forever', () => {
      const late = purged('/s/again.jsonl');
      const closed = [
        withRollout,
        tombstone,
        { type: 'ThreadDeleted', data: { threadId: id, rootThreadId: id } } as DomainEvent,
      ];
      expect(
        given(...closed).when({ type: 'RecordRolloutPurged', result: late.data as never }),
      ).toEqual(E.right([late]));
      expect(
        given(...closed, late).when({ type: 'RecordRolloutPurged', result: late.data as never }),
      ).toEqual(
        E.left({ kind: 'StepAlreadyRecorded', threadId: id, step: 'rollout:/s/again.jsonl' }),
      );
    });
    it('records each step once', () => {
      const p = purged('/s/r.jsonl');
      expect(
        given(withRollout, tombstone, p).when({
          type: 'RecordRolloutPurged',
          result: p.data as never,
        }),
      ).toEqual(E.left({ kind: 'StepAlreadyRecorded', threadId: id, step: 'rollout:/s/r.jsonl' }));
      expect(
        given(withRollout, tombstone, shredded).when({
          type: 'RecordContentShredded',
          result: { threadId: id, outcome: 'absent' },
        }),
      ).toEqual(E.left({ kind: 'StepAlreadyRecorded', threadId: id, step: 'content' }));
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
      expect(given(withRollout, tombstone, purged('/s/r.jsonl')).when(complete([]))).toEqual(
        E.left({
          kind: 'DeletionIncomplete',
          threadId: id,
          remaining: ['rollout:/s/r.jsonl.zst', 'content'],
        }),
      );
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
      const stillOpen = E.left({
        kind: 'DeletionIncomplete',
        threadId: id,
        remaining: [`child:${child}`],
      });
      // A child nobody looked at, or one still being deleted, holds the parent open.
      expect(given(...allSteps).when(complete([]))).toEqual(stillOpen);
      expect(given(...allSteps).when(complete([observed('deleting')]))).toEqual(stillOpen);
      expect(given(...allSteps).when(complete([observed('deleting', 'unstarted')]))).toEqual(
        stillOpen,
      );
      const closed = E.right([{ type: 'ThreadDeleted', data: { threadId: id, rootThreadId: id } }]);
      expect(given(...allSteps).when(complete([observed('deleted')]))).toEqual(closed);
      // An edge to a thread that was started under another parent is not this thread's child.
      expect(given(...allSteps).when(complete([observed('live', newId())]))).toEqual(closed);
    });
  });

  it('folds with evolve from the initial state', () => {
    const s = [started, archived, tombstone].reduce(evolve, initialState);
    expect(s).toMatchObject({ status: 'deleting', archived: true, rootThreadId: id });
  });
});
