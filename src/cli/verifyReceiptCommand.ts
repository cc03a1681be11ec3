import * as E from 'fp-ts/lib/Either.js';
import { verifyReceipt } from '../evidence/receiptCheck.js';
import { nodeEvidenceCrypto } from '../io/evidence/nodeEvidenceCrypto.js';
import type { Command } from './command.js';
import { say } from './processLifetime.js';
import { receiptSummaryText } from './receiptSummaryText.js';

/** Exit code of a receipt that does not prove its deletion. */
const REFUSED_RECEIPT = 1;

/**
 * Verifies a deletion receipt offline: only the receipt and the verifier key are read (no data
 * folder, no setting of any ledger, no network); it imports the evidence rules and node:crypto.
 */
export const verifyReceiptCommand: Command<'verify-receipt'> = {
  name: 'verify-receipt',
  summary: 'verifies a deletion receipt offline, with only the receipt and the verifier key',
  flags: ['key'],
  usage: 'FILE --key KEYFILE',
  notes: [
    'exit 0 and a summary if the receipt is valid and complete; exit 1 and the',
    'reason if not; exit 2 if FILE or KEYFILE cannot be read or KEYFILE is no key',
  ],
  async run({ receipt, key }) {
    let json: unknown;
    try {
      json = JSON.parse(receipt.text);
    } catch (err) {
      say(`receipt refused: ${receipt.file} is not JSON: ${(err as Error).message}`);
      return REFUSED_RECEIPT;
    }
    const r = verifyReceipt(nodeEvidenceCrypto, key, json);
    if (E.isLeft(r)) {
      say(`receipt refused: ${r.left}`);
      return REFUSED_RECEIPT;
    }
    process.stdout.write(receiptSummaryText(r.right));
    return 0;
  },
};
