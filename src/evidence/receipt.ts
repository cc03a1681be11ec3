import * as t from 'io-ts';

/**
 * A deletion receipt: everything a reviewer needs to prove a deletion offline, with only the
 * ledger's verifier key. The claims are in the entries (events exactly as the log stores them),
 * each with its inclusion proof under the one signed checkpoint; nothing outside them is trusted
 * but the names that say what to check (which thread, which key).
 */
export const RECEIPT_FORMAT = 'thread-ledger/deletion-receipt/v1';

export const ReceiptEntry = t.strict({
  /** The entry's leaf in the tree: its 0-based place in the log. */
  leafIndex: t.number,
  /** The entry's canonical text (entry.ts); its UTF-8 bytes are the leaf. */
  entry: t.string,
  /** The RFC 9162 inclusion proof of the leaf under the checkpoint, base64 hashes. */
  proof: t.array(t.string),
});
export type ReceiptEntry = t.TypeOf<typeof ReceiptEntry>;

export const Receipt = t.strict({
  format: t.literal(RECEIPT_FORMAT),
  /** The thread the receipt was asked for: the root or any thread of its subtree. */
  threadId: t.string,
  /** The root of the deletion: the thread whose tombstone began it. */
  rootThreadId: t.string,
  /** The name of the verifier key that signed the checkpoint. */
  keyName: t.string,
  /** The C2SP checkpoint (signed note) every proof leads to. */
  checkpoint: t.string,
  entries: t.array(ReceiptEntry),
});
export type Receipt = t.TypeOf<typeof Receipt>;

/**
 * The events a receipt carries for each thread of the subtree: its deletion, step by step. A
 * `ThreadStarted` appears only for a spawn edge to a thread started under another parent (what
 * shows it is not a child); no other event, so no content, name or preview.
 */
export const RECEIPT_EVENT_TYPES = [
  'ThreadDeleteRequested',
  'CodexHomeInventoried',
  'RolloutPurged',
  'SessionIndexPurged',
  'HistoryFilePurged',
  'CodexDatabasePurged',
  'ThreadContentShredded',
  'DeletionStepFailed',
  'DeletionStepWaived',
  'ThreadDeleted',
] as const;
