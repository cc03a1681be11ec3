import type { SigningKey } from '../../io/evidence/signingKey.js';
import type { EvidenceTreeReader } from '../../projections/evidenceTreeReader.js';
import type { CheckpointSigner } from './checkpointSigner.js';
import type { ReceiptBuilder } from './receiptBuilder.js';

/** The ledger's verifiable evidence: its tree, its signed checkpoints, its key and receipts. */
export type Evidence = {
  readonly tree: EvidenceTreeReader;
  /** Signs checkpoints; `signer.kept` holds every one signed. */
  readonly signer: CheckpointSigner;
  readonly key: SigningKey;
  /** Where the signing key is, and whether this start made it. */
  readonly keyFile: string;
  readonly keyCreated: boolean;
  readonly receipts: ReceiptBuilder;
};
