import { basename, dirname, resolve } from 'node:path';
import { perFile, type StepExecutor } from '../app/deletion/stepExecutor.js';
import { isCodexDatabaseName, purgeThreadRows } from './codexDatabases.js';

/**
 * A Codex database: every row of every thread due on it deleted in one transaction, zeroed, and
 * the WAL emptied. Only a Codex database at the root of the configured home is opened.
 */
export const codexDatabaseExecutor = (
  home: string | null,
): StepExecutor<{ kind: 'PurgeCodexDatabase'; path: string }> =>
  perFile((path, work) => {
    if (
      home === null ||
      dirname(resolve(path)) !== resolve(home) ||
      !isCodexDatabaseName(basename(path))
    ) {
      throw new Error(
        `refusing to open ${path}: it is not a Codex database of the configured home (${home ?? 'none'})`,
      );
    }
    const rows = purgeThreadRows(
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
