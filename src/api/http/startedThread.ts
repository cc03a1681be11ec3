import { v7 as uuidv7 } from 'uuid';
import type { SourceKind, ThreadStarted } from '../../domain/events.js';
import type { ThreadId } from '../../domain/ids.js';
import { newThread } from '../../domain/newThread.js';
import { threadIdForKey } from './keyedThreadId.js';
import type { StartThreadBody } from './requests.js';

/**
 * The thread a start (or spawn) request describes. Its id: the body's; else, sent with an
 * Idempotency-Key, one derived from the key (a retry, on any instance, after any crash, names
 * the same stream, and finds there that it was done: the key is recorded with the events);
 * else a fresh UUIDv7. Its source kind: the body's, else `defaultSourceKind`.
 */
export const startedThread = (
  b: StartThreadBody,
  by: { subject: string; key: string | null; now: number },
  defaultSourceKind: SourceKind = 'appServer',
): ThreadStarted => {
  const threadId =
    b.threadId ?? (by.key === null ? (uuidv7() as ThreadId) : threadIdForKey(by.subject, by.key));
  return newThread({
    threadId,
    sourceKind: b.sourceKind ?? defaultSourceKind,
    cwd: b.cwd,
    modelProvider: b.modelProvider,
    originator: b.originator,
    cliVersion: b.cliVersion,
    // Field by field: nothing but these three reaches the log, whatever the body held.
    gitInfo: b.gitInfo
      ? { sha: b.gitInfo.sha, branch: b.gitInfo.branch, originUrl: b.gitInfo.originUrl }
      : null,
    createdAtMs: b.createdAt ?? by.now,
    rolloutPath: b.rolloutPath,
    preview: b.preview,
    name: b.name,
  });
};
