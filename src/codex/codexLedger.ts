import type { Ledger } from '../app/ledger.js';
import type { CodexInventory } from './codexInventory.js';

/** A ledger that may sit over a Codex home: what deleted threads left there (the importer feeds its cache). */
export type CodexLedger = Ledger & { readonly inventory?: CodexInventory | null };
