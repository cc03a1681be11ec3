import { type Ledger, type LedgerConfig, openLedger } from '../app/ledger.js';
import type { CodexHome } from './codexHome.js';

/**
 * A ledger over a Codex home: its data in a folder of its own (default inside the home), rollout
 * deletion confined to `sessions/` and `archived_sessions/`, and Codex's session index the only
 * index file it rewrites.
 */
export const openCodexLedger = (home: CodexHome, dataDir: string | undefined, extra: Partial<LedgerConfig> = {}): Ledger =>
  openLedger({
    eventStoreConnectionString: process.env['EVENTSTORE_CONNECTION_STRING'] || undefined,
    ...extra,
    dataDir: dataDir ?? home.defaultDataDir,
    rolloutRoots: [home.sessionsDir, home.archivedDir],
    codexHome: home,
  });
