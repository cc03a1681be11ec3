import type { Ledger } from '../app/ledger.js';
import type { CodexHome } from '../codex/codexHome.js';
import { type LedgerConfig, openLedger } from './openLedger.js';

/**
 * A ledger over a Codex home: its data in a folder of its own (default inside the home), rollout
 * deletion confined to `sessions/` and `archived_sessions/`, and its deletions purging what Codex
 * keeps of a thread in the home (session index and history lines, database rows), no other file.
 * Where its log and its keys are (an event store, a key service) comes in `extra`, from the
 * configuration, as for any other ledger.
 */
export const openCodexLedger = (
  home: CodexHome,
  dataDir: string | undefined,
  extra: Partial<LedgerConfig> = {},
): Ledger =>
  openLedger({
    ...extra,
    dataDir: dataDir ?? home.defaultDataDir,
    rolloutRoots: [home.sessionsDir, home.archivedDir],
    codexHome: home,
  });
