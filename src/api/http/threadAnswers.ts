import type { CodexThreadMeta } from '../../domain/events.js';
import type { NodeRow } from '../../projections/readModelQueries.js';
import type { ThreadRow } from '../../projections/threadListQuery.js';
import { isoTime } from './isoTime.js';
import type { SubtreeNode, Thread } from './responses.js';

/** A thread-list row as the `/v1` `Thread`: camelCase, ISO times, lists and objects as JSON. */
export const threadOnV1 = (r: ThreadRow): Thread => {
  const codex = r.codex ? (JSON.parse(r.codex) as CodexThreadMeta) : null;
  return {
    id: r.thread_id,
    sessionId: r.session_id,
    parentThreadId: r.parent_thread_id,
    depth: r.depth,
    sourceKind: r.source_kind,
    name: r.name,
    preview: r.preview,
    cwd: r.cwd,
    modelProvider: r.model_provider,
    originator: r.originator,
    cliVersion: r.cli_version,
    gitInfo: r.git_info ? (JSON.parse(r.git_info) as Thread['gitInfo']) : null,
    rolloutPath: r.rollout_path,
    forkedFromId: codex?.forkedFromId ?? null,
    agentNickname: codex?.agentNickname ?? null,
    agentRole: codex?.agentRole ?? null,
    createdAt: isoTime(r.created_at),
    updatedAt: isoTime(r.updated_at),
    archived: r.archived === 1,
  };
};

/** A node of the spawn graph as `/v1` names it. */
export const nodeOnV1 = (n: NodeRow): SubtreeNode => ({
  threadId: n.thread_id,
  parentThreadId: n.parent_thread_id,
  depth: n.depth,
  status: n.status as SubtreeNode['status'],
});
