import * as E from 'fp-ts/lib/Either.js';
import type { NoReceipt } from '../app/evidence/receiptBuilder.js';
import type { Command } from './command.js';
import { openConfiguredLedger } from './openConfiguredLedger.js';
import { say } from './processLifetime.js';

/** Exit code when the thread has no receipt (unknown, or its deletion not complete). */
const NO_RECEIPT = 1;

const why = (no: NoReceipt): string => {
  if (no.kind === 'ThreadNotFound') return `thread ${no.threadId} is not known`;
  if (no.status === 'deleting')
    return `thread ${no.threadId} is not deleted yet: its deletion (root ${no.rootThreadId}) is under way`;
  return no.rootThreadId === no.threadId
    ? `thread ${no.threadId} is not deleted yet: no deletion was requested`
    : `thread ${no.threadId} is not deleted yet: its root ${no.rootThreadId} is live`;
};

/** A deleted thread's deletion receipt (its whole subtree's), as JSON on stdout. */
export const receiptCommand: Command<'receipt'> = {
  name: 'receipt',
  summary: "a deleted thread's deletion receipt (JSON, its whole subtree), to verify offline",
  flags: ['data'],
  usage: 'THREAD_ID [--data DIR]',
  notes: [
    'exit 1 if the thread is not known or its deletion is not complete;',
    'check it anywhere with verify-receipt FILE --key KEYFILE',
  ],
  async run({ ledger: settings, threadId }) {
    const ledger = openConfiguredLedger(settings);
    try {
      await ledger.runner.catchUp();
      const r = await ledger.evidence.receipts.build(threadId);
      if (E.isLeft(r)) {
        say(`thread-ledger receipt: ${why(r.left)}`);
        return NO_RECEIPT;
      }
      process.stdout.write(`${JSON.stringify(r.right, null, 2)}\n`);
      return 0;
    } finally {
      await ledger.close();
    }
  },
};
