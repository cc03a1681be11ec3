import { v7 as uuidv7 } from 'uuid';
import type { ThreadStarted } from '../../domain/events.js';
import type { ThreadId } from '../../domain/ids.js';
import { newThread } from '../../domain/newThread.js';
import type { StartThreadBody } from './requests.js';

/** The thread a `POST /v1/threads` body starts: its id, else the one keyed by its Idempotency-Key, else a new one. */
export const startedFrom = (
  b: StartThreadBody,
  now: number,
  keyed: ThreadId | null,
): ThreadStarted =>
  newThread({
    threadId: b.threadId ?? keyed ?? (uuidv7() as ThreadId),
    sourceKind: b.sourceKind ?? 'appServer',
    cwd: b.cwd,
    modelProvider: b.modelProvider,
    originator: b.originator,
    cliVersion: b.cliVersion,
    // Field by field: nothing but these three reaches the log, whatever the body held.
    gitInfo: b.gitInfo
      ? { sha: b.gitInfo.sha, branch: b.gitInfo.branch, originUrl: b.gitInfo.originUrl }
      : null,
    createdAtMs: b.createdAtMs ?? now,
    rolloutPath: b.rolloutPath,
    preview: b.preview,
    name: b.name,
  });
