import { describe, it } from 'vitest';
import type { Command } from '../../src/domain/commands.js';
import type { DomainEvent } from '../../src/domain/events.js';
import { MAX_REASON_LENGTH, threadDecider } from '../../src/domain/threadDecider.js';
import { DeciderSpecification } from '../support/deciderSpecification.js';
import { newId, startedData } from '../support/threads.js';

const given = DeciderSpecification.for(threadDecider);

const id = newId();
/** A rollout an older version recorded outside today's roots: its purge fails forever. */
const outside = '/elsewhere/rollout-old.jsonl';
const started: DomainEvent = {
  type: 'ThreadStarted',
  data: startedData({ threadId: id, rolloutPath: outside }),
};
const tombstone: DomainEvent = {
  type: 'ThreadDeleteRequested',
  data: { threadId: id, rootThreadId: id, reason: 'user asked', commits: null },
};
const failed: DomainEvent = {
  type: 'DeletionStepFailed',
  data: {
    threadId: id,
    step: `rollout:${outside}`,
    error: 'outside the rollout roots',
    attempt: 20 as never,
    nextRetryAtMs: 1,
  },
};
const shredded: DomainEvent = {
  type: 'ThreadContentShredded',
  data: { threadId: id, outcome: 'destroyed' },
};
const zstPurged: DomainEvent = {
  type: 'RolloutPurged',
  data: { threadId: id, path: `${outside}.zst`, outcome: 'absent', sizeBytes: null, sha256: null },
};
const waive = (
  step: string,
  reason = 'written by v0.0.9 outside the roots; removed by hand',
): Command => ({
  type: 'WaiveDeletionStep',
  threadId: id,
  step,
  reason,
});
const waived = (step: string, reason: string): DomainEvent => ({
  type: 'DeletionStepWaived',
  data: { threadId: id, step, reason },
});
const complete: Command = { type: 'CompleteDeletion', threadId: id, children: [] };

describe('waiving a deletion step (an operator decision)', () => {
  it('waives a planned step that keeps failing, with its reason (trimmed)', () => {
    given([started, tombstone, failed])
      .when(waive(`rollout:${outside}`, '  removed by hand  '))
      .then([waived(`rollout:${outside}`, 'removed by hand')]);
  });
  it('a waived step is settled: the deletion completes without it', () => {
    given([started, tombstone, failed, zstPurged, shredded, waived(`rollout:${outside}`, 'x')])
      .when(complete)
      .then([{ type: 'ThreadDeleted', data: { threadId: id, rootThreadId: id } }]);
  });
  it('without the waiver, the deletion does not complete', () => {
    given([started, tombstone, failed, zstPurged, shredded])
      .when(complete)
      .thenFails({ kind: 'DeletionIncomplete', threadId: id, remaining: [`rollout:${outside}`] });
  });
  it('a step that is not failing yet may be waived too', () => {
    given([started, tombstone])
      .when(waive('content'))
      .then([waived('content', 'written by v0.0.9 outside the roots; removed by hand')]);
  });
  it('refuses a blank reason', () => {
    given([started, tombstone, failed])
      .when(waive(`rollout:${outside}`, '   '))
      .thenFails({ kind: 'InvalidReason', threadId: id, reason: 'reason must not be empty' });
  });
  it('refuses a reason longer than the bound', () => {
    given([started, tombstone, failed])
      .when(waive(`rollout:${outside}`, 'r'.repeat(MAX_REASON_LENGTH + 1)))
      .thenFails({
        kind: 'InvalidReason',
        threadId: id,
        reason: `reason must be at most ${MAX_REASON_LENGTH} characters, got ${MAX_REASON_LENGTH + 1}`,
      });
  });
  it('refuses a step the deletion does not have, naming those left', () => {
    given([started, tombstone, zstPurged])
      .when(waive('rollout:/somewhere/else.jsonl'))
      .thenFails({
        kind: 'UnknownDeletionStep',
        threadId: id,
        step: 'rollout:/somewhere/else.jsonl',
        steps: [`rollout:${outside}`, 'content'],
      });
  });
  it('refuses a step already done', () => {
    given([started, tombstone, shredded])
      .when(waive('content'))
      .thenFails({ kind: 'StepAlreadyRecorded', threadId: id, step: 'content' });
  });
  it('refuses a step already waived', () => {
    given([started, tombstone, waived('content', 'x')])
      .when(waive('content'))
      .thenFails({ kind: 'StepAlreadyRecorded', threadId: id, step: 'content' });
  });
  it('refuses a thread that is not being deleted', () => {
    given([started]).when(waive('content')).thenFails({ kind: 'NotTombstoned', threadId: id });
  });
  it('refuses a thread that does not exist', () => {
    given().when(waive('content')).thenFails({ kind: 'ThreadNotFound', threadId: id });
  });
  it('refuses a thread whose deletion is complete', () => {
    const deleted: DomainEvent = {
      type: 'ThreadDeleted',
      data: { threadId: id, rootThreadId: id },
    };
    given([started, tombstone, zstPurged, shredded, waived(`rollout:${outside}`, 'x'), deleted])
      .when(waive('content'))
      .thenFails({ kind: 'DeletionComplete', threadId: id });
  });
});
