import * as t from 'io-ts';
import { GitInfo, nullable, SessionSource } from '../../domain/events.js';

/**
 * The response shapes of the HTTP API, for its OpenAPI document. `WireThread` is also the type
 * that `threadOnWire` builds (Codex's `Thread`), so the document cannot drift from the code.
 */
export const WireThread = t.type({
  id: t.string,
  sessionId: t.string,
  forkedFromId: nullable(t.string),
  parentThreadId: nullable(t.string),
  preview: t.string,
  ephemeral: t.boolean,
  section: t.null,
  sectionEnteredAt: t.null,
  projectId: t.null,
  historyMode: t.literal('legacy'),
  modelProvider: t.string,
  model: t.null,
  reasoningEffort: t.null,
  createdAt: t.Int,
  updatedAt: t.Int,
  recencyAt: t.null,
  status: t.type({ type: t.literal('notLoaded') }),
  path: nullable(t.string),
  cwd: t.string,
  cliVersion: t.string,
  originator: nullable(t.string),
  source: SessionSource,
  threadSource: nullable(t.string),
  agentNickname: nullable(t.string),
  agentRole: nullable(t.string),
  gitInfo: nullable(GitInfo),
  name: nullable(t.string),
  turns: t.array(t.unknown),
});
export type WireThread = t.TypeOf<typeof WireThread>;

const Position = nullable(t.string);

export const Problem = t.intersection([
  t.type({ type: t.string, title: t.string, status: t.Int, detail: t.string }),
  t.partial({ errors: t.array(t.type({ field: t.string, reason: t.string })) }),
]);

export const Started = t.type({ threadId: t.string, position: Position });
export const Spawned = t.type({ threadId: t.string, parentThreadId: t.string, position: Position });
// No content in command answers: they are kept for Idempotency-Key replays, outside
// crypto-shredding.
export const Renamed = t.type({ threadId: t.string, position: Position });
export const Changed = t.type({ threadIds: t.array(t.string), position: Position });
export const DeletionAccepted = t.type({
  deletion: t.type({
    id: t.string,
    threadIds: t.array(t.string),
    status: t.keyof({ pending: null, failing: null, deleted: null }),
    position: Position,
  }),
});
export const ThreadPage = t.type({
  data: t.array(WireThread),
  nextCursor: nullable(t.string),
  backwardsCursor: nullable(t.string),
});
export const OneThread = t.type({
  thread: t.intersection([WireThread, t.type({ archived: t.boolean })]),
});

const Node = t.type({
  thread_id: t.string,
  parent_thread_id: nullable(t.string),
  depth: nullable(t.Int),
  status: t.string,
});
export const Subtree = t.type({
  thread: Node,
  ancestors: t.array(Node),
  descendants: t.array(Node),
});

export const History = t.type({
  threadId: t.string,
  events: t.array(
    t.type({
      id: t.string,
      type: t.string,
      revision: t.string,
      position: t.string,
      /** When it was recorded (its metadata's `recordedAtMs`), ISO 8601. */
      recordedAt: nullable(t.string),
      data: t.unknown,
      metadata: t.unknown,
    }),
  ),
});

// The deletion records' shapes: deletionShapes.ts.
export const Rebuilt = t.type({ applied: t.Int, position: Position });
