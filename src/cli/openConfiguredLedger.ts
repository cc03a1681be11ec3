import { existsSync, mkdirSync } from 'node:fs';
import type { Ledger } from '../app/ledger.js';
import { isLoopback, type LedgerSettings } from '../main/config.js';
import { openCodexLedger } from '../main/openCodexLedger.js';
import { openLedger } from '../main/openLedger.js';
import { say } from './processLifetime.js';

/**
 * The ledger the settings describe: over a Codex home if they name one (its deletions then purge
 * what Codex keeps there too), with its log and its keys where they say.
 */
export const openConfiguredLedger = (s: LedgerSettings): Ledger => {
  const url = s.keyService?.url;
  if (url?.startsWith('http://') && !isLoopback(new URL(url).hostname)) {
    say(
      `thread-ledger: the key service at ${url} is plain HTTP: keys cross the network in clear; use https:// outside a trusted network`,
    );
  }
  const common = {
    eventStoreConnectionString: s.eventStoreConnectionString,
    keyService: s.keyService,
    workerBatchSize: s.workerBatchSize,
    signingKeyFile: s.signingKeyFile,
  };
  const ledger = s.codexHome
    ? openCodexLedger(s.codexHome, s.dataDir, common)
    : openLedger({ dataDir: s.dataDir, rolloutRoots: s.rolloutRoots, ...common });
  const { evidence } = ledger;
  if (evidence.keyCreated)
    say(
      `thread-ledger: made a checkpoint signing key in ${evidence.keyFile} (mode 0600); verifier key: ${evidence.key.verifierText}`,
    );
  if (s.codexHome) return ledger;
  // Once the ledger could be opened, a rollout root that does not exist yet is made (the
  // configuration has checked that nothing stands in its way), and said: a mistyped one shows.
  for (const root of s.rolloutRoots) {
    if (existsSync(root)) continue;
    mkdirSync(root, { recursive: true });
    say(`thread-ledger: rollout root ${root} did not exist: created it`);
  }
  return ledger;
};

/** Instances sharing one log must share their keys too: say so when they cannot. */
export const warnIfKeysAreLocal = (s: LedgerSettings): void => {
  if (s.eventStoreConnectionString && !s.keyService)
    say(
      'thread-ledger: the content keys are in this data folder: run one instance only, or set KEY_SERVICE_URL',
    );
};
