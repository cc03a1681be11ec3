import type { ThreadStarted } from './events.js';

/** What a new thread must be given; every other field of its `ThreadStarted` may be left out. */
export type NewThread = Pick<
  ThreadStarted,
  'threadId' | 'sourceKind' | 'cwd' | 'modelProvider' | 'createdAtMs'
> &
  Partial<ThreadStarted>;

/**
 * The `ThreadStarted` payload of a new thread. What is left out is what a thread started here
 * has: its own session, no parent, nothing known of it, nothing imported from a Codex home.
 */
export const newThread = (t: NewThread): ThreadStarted => ({
  threadId: t.threadId,
  sessionId: t.sessionId ?? t.threadId,
  parentThreadId: t.parentThreadId ?? null,
  depth: t.depth ?? (0 as ThreadStarted['depth']),
  sourceKind: t.sourceKind,
  cwd: t.cwd,
  modelProvider: t.modelProvider,
  originator: t.originator ?? null,
  cliVersion: t.cliVersion ?? null,
  gitInfo: t.gitInfo ?? null,
  createdAtMs: t.createdAtMs,
  rolloutPath: t.rolloutPath ?? null,
  preview: t.preview ?? null,
  name: t.name ?? null,
  codex: t.codex ?? null,
  updatedAtMs: t.updatedAtMs ?? null,
});
