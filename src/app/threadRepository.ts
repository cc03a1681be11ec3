import * as E from 'fp-ts/lib/Either.js';
import type { DomainEvent } from '../domain/events.js';
import { streamOf, type ThreadId } from '../domain/ids.js';
import type { CommandContext } from '../domain/metadata.js';
import { evolve, initialState, type ThreadState } from '../domain/threadDecider.js';
import { ContentKeyDestroyedError, type EventCodec } from '../store/eventCodec.js';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  WrongExpectedVersion,
} from '../store/eventStore.js';
import type { Clock } from './clock.js';
import type { HandleError } from './handleError.js';
import { type KeyedCommands, noteKey } from './idempotency.js';

/** A thread's stream, read and folded: what a command is decided on. */
export type Loaded = {
  readonly state: ThreadState;
  readonly revision: ExpectedRevision;
  /** Present when read from the stream (not on a state carried over from a previous command). */
  readonly keyed?: KeyedCommands;
  /** Where each spawn edge was recorded: a replayed cascade follows only the edges it knew. */
  readonly edgeAt?: ReadonlyMap<ThreadId, bigint>;
};

/** Why an append wrote nothing. */
export type AppendRefused =
  /** Another writer appended first: the stream is not at the revision the events were decided on. */
  | WrongExpectedVersion
  /** The thread's content key was shredded after the decision: a deletion has passed that state. */
  | { readonly kind: 'ContentKeyDestroyed' }
  | Extract<HandleError, { kind: 'UnrecordableEvent' }>;

/**
 * A thread's stream: read and folded into its state (`load`), and written to at the revision the
 * events were decided on (`append`), sealed by the codec. Deciding is the command handler's.
 */
export class ThreadRepository {
  constructor(
    private readonly store: EventStore,
    private readonly codec: EventCodec,
    private readonly clock: Clock,
    private readonly newId: () => string,
  ) {}

  async load(threadId: ThreadId): Promise<Loaded> {
    const recorded = await this.store.readStream(streamOf(threadId));
    let state = initialState;
    const keyed = new Map();
    const edgeAt = new Map<ThreadId, bigint>();
    for (const r of recorded) {
      const { event, metadata } = this.codec.decodeSealed(r);
      state = evolve(state, event);
      noteKey(keyed, metadata, r.position);
      if (event.type === 'SubagentSpawned') edgeAt.set(event.data.childThreadId, r.position);
    }
    const last = recorded[recorded.length - 1];
    return { state, revision: last ? last.revision : 'no_stream', keyed, edgeAt };
  }

  /**
   * Appends the events a command produced, if the stream is still at `expected`. Nothing is
   * appended that would not read back: one bad value would stop every reader of the log.
   */
  async append(
    threadId: ThreadId,
    events: readonly DomainEvent[],
    ctx: CommandContext,
    expected: ExpectedRevision,
  ): Promise<E.Either<AppendRefused, AppendResult>> {
    const keys = await this.codec.prepare(events);
    const recordedAtMs = this.clock();
    let toAppend;
    try {
      toAppend = events.map((e) =>
        this.codec.encode(e, { ...ctx, recordedAtMs }, this.newId(), keys),
      );
    } catch (err) {
      if (err instanceof ContentKeyDestroyedError) return E.left({ kind: 'ContentKeyDestroyed' });
      throw err;
    }
    for (const e of toAppend) {
      const checked = this.codec.checkRoundTrip(e);
      if (E.isLeft(checked))
        return E.left({ kind: 'UnrecordableEvent', threadId, ...checked.left });
    }
    return this.store.append(streamOf(threadId), toAppend, expected);
  }
}
