import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSigningKey } from '../io/evidence/signingKey.js';
import type { Command } from './command.js';
import { CommandRefused } from './processLifetime.js';

/** Where a ledger makes its signing key when LEDGER_SIGNING_KEY_FILE does not name one. */
export const DEFAULT_SIGNING_KEY = 'evidence-signing.key';

/** The signing key's file: LEDGER_SIGNING_KEY_FILE's, else the data folder's (which must exist). */
export const signingKeyFileOf = (dataDir: string, setting: string | undefined): string => {
  if (setting) return setting;
  const file = join(dataDir, DEFAULT_SIGNING_KEY);
  if (!existsSync(file))
    throw new CommandRefused(
      `no signing key in ${file}: the ledger makes it on first start (serve); or set LEDGER_SIGNING_KEY_FILE`,
    );
  return file;
};

/** The ledger's verifier key, read from its signing key: no service, no database. */
export const evidenceKeyCommand: Command<'evidence-key'> = {
  name: 'evidence-key',
  summary: 'prints the verifier key of the signed checkpoints (give it to reviewers)',
  flags: ['data'],
  usage: '[--data DIR]',
  notes: [
    'the signing key is LEDGER_SIGNING_KEY_FILE, else DATA/evidence-signing.key;',
    'the line printed is what verify-receipt and verify take as --key',
  ],
  async run({ dataDir, signingKeyFile }) {
    const key = readSigningKey(signingKeyFileOf(dataDir, signingKeyFile));
    process.stdout.write(`${key.verifierText}\n`);
    return 0;
  },
};
