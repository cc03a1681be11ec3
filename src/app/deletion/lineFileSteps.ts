import { dirname } from 'node:path';
import type { Command } from '../../domain/commands.js';
import type { ThreadId } from '../../domain/ids.js';
import { ConfinedRoot } from '../../io/confinedPath.js';
import { removeLines } from '../../io/jsonLinesFile.js';
import { perFile, type StepExecutor } from './stepExecutor.js';

type LineFileStep = { kind: 'PurgeSessionIndex' | 'PurgeHistoryFile'; path: string };

/** A JSON-lines file rewritten once a pass without the lines of every thread due on it; no other file. */
const lineFileExecutor = <S extends LineFileStep>(
  what: string,
  allowed: readonly string[],
  field: string,
  record: (threadId: ThreadId, path: string, linesRemoved: number) => Command,
): StepExecutor<S> => {
  // Each file's folder is resolved once, here; the rewrite then never follows a symlink below it.
  const folders = new Map(allowed.map((path) => [path, new ConfinedRoot(dirname(path))]));
  return perFile<S>((path, work) => {
    const folder = folders.get(path);
    if (!folder) throw new Error(`refusing to rewrite ${path}: it is not a configured ${what}`);
    const removed = removeLines(path, field, new Set(work.map((w) => w.threadId)), folder);
    return new Map(
      work.map((w) => [w.threadId, record(w.threadId, path, removed.get(w.threadId) ?? 0)]),
    );
  });
};

/** Codex's `session_index.jsonl`: a thread's lines are keyed by `id`. */
export const sessionIndexExecutor = (allowed: readonly string[]) =>
  lineFileExecutor<{ kind: 'PurgeSessionIndex'; path: string }>(
    'session index file',
    allowed,
    'id',
    (threadId, path, n) => ({
      type: 'RecordSessionIndexPurged',
      result: { threadId, path, linesRemoved: n as never },
    }),
  );

/** The interactive CLI's `history.jsonl`: a thread's lines are keyed by `session_id`. */
export const historyFileExecutor = (allowed: readonly string[]) =>
  lineFileExecutor<{ kind: 'PurgeHistoryFile'; path: string }>(
    'history file',
    allowed,
    'session_id',
    (threadId, path, n) => ({
      type: 'RecordHistoryFilePurged',
      result: { threadId, path, linesRemoved: n as never },
    }),
  );
