import { basename, dirname, resolve } from 'node:path';
import { perFile, type StepExecutor } from '../app/deletion/stepExecutor.js';
import { CodexDatabasePool } from './codexDatabasePool.js';
import { isCodexDatabaseName } from './codexDatabases.js';

/** One pool for the process: the databases of every home purged at once, up to the cores. */
let shared: CodexDatabasePool | null = null;
const sharedPool = (): CodexDatabasePool => {
  shared ??= new CodexDatabasePool();
  return shared;
};

/**
 * A Codex database: every row of every thread due on it deleted in one transaction, zeroed, and
 * the WAL emptied, on a worker thread (`CodexDatabasePool`), the databases at once. Only a Codex
 * database at the root of the configured home is opened.
 */
export const codexDatabaseExecutor = (
  home: string | null,
  pool?: CodexDatabasePool,
): StepExecutor<{ kind: 'PurgeCodexDatabase'; path: string }> =>
  perFile(async (path, work) => {
    if (
      home === null ||
      dirname(resolve(path)) !== resolve(home) ||
      !isCodexDatabaseName(basename(path))
    ) {
      throw new Error(
        `refusing to open ${path}: it is not a Codex database of the configured home (${home ?? 'none'})`,
      );
    }
    const rows = await (pool ?? sharedPool()).purge(
      path,
      work.map((w) => ({ threadId: w.threadId, rolloutPaths: w.state.rolloutPaths })),
    );
    return new Map(
      work.map(
        (w) =>
          [
            w.threadId,
            {
              type: 'RecordCodexDatabasePurged',
              result: { threadId: w.threadId, path, tables: (rows.get(w.threadId) ?? []) as never },
            },
          ] as const,
      ),
    );
  });
