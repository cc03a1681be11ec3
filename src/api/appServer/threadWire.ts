import type { CodexThreadMeta, SessionSource, SourceKind } from '../../domain/events.js';
import type { ThreadRow } from '../../projections/threadListQuery.js';
import type { WireThread } from '../http/responses.js';

/** The source of a thread that did not come from a Codex home, from its kind (and its parent). */
const sourceOfKind = (kind: SourceKind, r: ThreadRow): SessionSource => {
  switch (kind) {
    case 'cli':
    case 'vscode':
    case 'exec':
    case 'appServer':
    case 'unknown':
      return kind;
    case 'subAgentReview':
      return { subAgent: 'review' };
    case 'subAgentCompact':
      return { subAgent: 'compact' };
    case 'subAgentThreadSpawn':
      // As Codex records a thread another one spawned (a spawn over `/v1`, by default).
      if (r.parent_thread_id !== null) {
        const spawn = { parent_thread_id: r.parent_thread_id, depth: r.depth };
        return {
          subAgent: {
            thread_spawn: { ...spawn, agent_path: null, agent_nickname: null, agent_role: null },
          },
        };
      }
      return { subAgent: { other: kind } };
    default:
      return { subAgent: { other: kind } };
  }
};

const seconds = (ms: number) => Math.floor(ms / 1000);

/** A thread-list row as Codex's `Thread` (see shared/codex-protocol/ts/Thread.ts). */
export const threadOnWire = (r: ThreadRow): WireThread => {
  const codex = r.codex ? (JSON.parse(r.codex) as CodexThreadMeta) : null;
  return {
    id: r.thread_id,
    sessionId: r.session_id,
    forkedFromId: codex?.forkedFromId ?? null,
    parentThreadId: r.parent_thread_id,
    preview: r.preview ?? '',
    ephemeral: false,
    section: null,
    sectionEnteredAt: null,
    projectId: null,
    historyMode: 'legacy' as const,
    modelProvider: r.model_provider,
    model: null,
    reasoningEffort: null,
    createdAt: seconds(r.created_at) as WireThread['createdAt'],
    updatedAt: seconds(r.updated_at) as WireThread['updatedAt'],
    recencyAt: null,
    status: { type: 'notLoaded' as const },
    path: r.rollout_path,
    cwd: r.cwd,
    cliVersion: r.cli_version ?? '',
    originator: r.originator,
    source: codex?.source ?? sourceOfKind(r.source_kind, r),
    threadSource: codex?.threadSource ?? null,
    agentNickname: codex?.agentNickname ?? null,
    agentRole: codex?.agentRole ?? null,
    gitInfo: r.git_info ? (JSON.parse(r.git_info) as WireThread['gitInfo']) : null,
    name: r.name,
    turns: [],
  };
};
