import * as t from 'io-ts';
import { GitInfo, nullable, SessionSource, SourceKind } from '../../domain/events.js';
import { SpawnDepth } from '../../domain/numbers.js';
import { IsoTime } from './isoTime.js';

/**
 * The response shapes of the HTTP API, for its OpenAPI document, and the types the routes build
 * their answers as, so the document cannot drift from the code. One convention on `/v1`: field
 * names in camelCase, times as ISO 8601 UTC strings with milliseconds in fields named `...At`,
 * log positions as decimal strings, lists as JSON arrays.
 */

/**
 * Codex's `Thread` (epoch seconds, Codex's own `source`): what `threadOnWire` builds for the
 * app-server over stdio and WebSocket `/rpc`. Codex's protocol, not a `/v1` shape.
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

/** A field of a request, as the API names it (`cwd`, `gitInfo.sha`, `sourceKinds[1]`), and why. */
const FieldError = t.type({ field: t.string, reason: t.string });

/**
 * An RFC 9457 problem document (`application/problem+json`): `type` is stable per kind of
 * problem (clients may switch on it), `detail` says what happened in words; a validation problem
 * names each field that is wrong in `errors`.
 */
export const Problem = t.intersection([
  t.type({ type: t.string, title: t.string, status: t.Int, detail: t.string }),
  t.partial({ errors: t.array(FieldError) }),
]);

/** `410 Gone`: the thread was deleted (or is being deleted): when, by whom, where the record is. */
export const Gone = t.intersection([
  Problem,
  t.type({
    threadId: t.string,
    deletion: t.type({
      status: t.keyof({ pending: null, failing: null, deleted: null }),
      requestedAt: IsoTime,
      requestedBy: t.string,
      completedAt: nullable(IsoTime),
      href: t.string,
    }),
  }),
]);

/**
 * A thread on `/v1`. `sourceKind`: how it was started (`appServer` over HTTP unless the start
 * said otherwise; a subagent kind for a spawned one); `depth`: 0 for a root, one more per spawn;
 * `rolloutPath`: its rollout file, if it has one; `forkedFromId`, `agentNickname`, `agentRole`:
 * as Codex recorded them, for imported threads.
 */
export const Thread = t.type({
  id: t.string,
  sessionId: t.string,
  parentThreadId: nullable(t.string),
  depth: nullable(SpawnDepth),
  sourceKind: SourceKind,
  name: nullable(t.string),
  preview: nullable(t.string),
  cwd: t.string,
  modelProvider: t.string,
  originator: nullable(t.string),
  cliVersion: nullable(t.string),
  gitInfo: nullable(GitInfo),
  rolloutPath: nullable(t.string),
  forkedFromId: nullable(t.string),
  agentNickname: nullable(t.string),
  agentRole: nullable(t.string),
  createdAt: IsoTime,
  updatedAt: IsoTime,
  archived: t.boolean,
});
export type Thread = t.TypeOf<typeof Thread>;

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
  data: t.array(Thread),
  nextCursor: nullable(t.string),
  backwardsCursor: nullable(t.string),
});
export const OneThread = t.type({ thread: Thread });

/** A node of the spawn graph: ids, depth and lifecycle status only (no content). */
export const SubtreeNode = t.type({
  threadId: t.string,
  parentThreadId: nullable(t.string),
  depth: nullable(SpawnDepth),
  status: t.keyof({ spawning: null, live: null, deleting: null, deleted: null }),
});
export type SubtreeNode = t.TypeOf<typeof SubtreeNode>;
export const Subtree = t.type({
  thread: SubtreeNode,
  ancestors: t.array(SubtreeNode),
  descendants: t.array(SubtreeNode),
});

/**
 * A thread's events as recorded: `data` and `metadata` exactly as the log holds them (the
 * events' own schema: see the README's Events section); sealed content stays sealed.
 * `recordedAt`: when the event was appended.
 */
export const History = t.type({
  threadId: t.string,
  events: t.array(
    t.type({
      id: t.string,
      type: t.string,
      revision: t.string,
      position: t.string,
      /** When it was recorded (its metadata's `recordedAtMs`). */
      recordedAt: nullable(IsoTime),
      data: t.unknown,
      metadata: t.unknown,
    }),
  ),
});

// The deletion records' shapes: deletionShapes.ts.
export const Rebuilt = t.type({ applied: t.Int, position: Position });
