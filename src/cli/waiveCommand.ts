import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { describeHandleError } from '../app/handleError.js';
import { waiveStep } from '../app/waiveStep.js';
import type { Command } from './command.js';
import { openConfiguredLedger } from './openConfiguredLedger.js';
import { say } from './processLifetime.js';

/** Exit code of a waiver the ledger refuses (no such deletion or step, a step already done). */
const REFUSED = 2;

/**
 * An operator's decision on a deletion step that can never succeed: recorded as
 * `DeletionStepWaived`, with the reason and the operator (`cli:<login>`) as its actor. The
 * worker (serve's, or `thread-ledger worker`) then completes the deletion without the step.
 */
export const waiveCommand: Command<'waive'> = {
  name: 'waive',
  summary:
    'waives a deletion step that can never succeed, with the reason, so the deletion completes',
  flags: ['data', 'reason'],
  usage: 'THREAD_ID STEP --reason TEXT [--data DIR]',
  notes: [
    'STEP: the key the deletion record lists (GET /v1/deletions/{id}, steps[].step),',
    'e.g. rollout:/old/root/rollout-....jsonl; only a step not done yet of a',
    'deletion under way. The worker then completes the deletion without it',
  ],
  async run({ ledger: settings, waiver }) {
    const ledger = openConfiguredLedger(settings);
    const { threadId, step, reason, actor } = waiver;
    try {
      const ctx = { actor, requestId: `cli-${randomUUID()}`, causationId: null };
      const r = await waiveStep(ledger.commands, threadId, step, reason, ctx);
      if (E.isLeft(r)) {
        say(`thread-ledger waive: refused: ${describeHandleError(r.left)}`);
        return REFUSED;
      }
      process.stdout.write(
        `waived step ${step} of the deletion of thread ${threadId}, by ${actor}, at position ${r.right.position}: ${reason.trim()}\n`,
      );
      say(
        'thread-ledger waive: the worker completes the deletion at its next pass (serve, or thread-ledger worker)',
      );
      return 0;
    } finally {
      await ledger.close();
    }
  },
};
