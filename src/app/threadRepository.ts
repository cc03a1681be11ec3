import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../domain/commands.js';
import { type DomainError, describeDomainError } from '../domain/errors.js';
import type { DomainEvent } from '../domain/events.js';
import { describeFieldErrors, type FieldError } from '../domain/fieldErrors.js';
import { streamOf, type ThreadId } from '../domain/ids.js';
import type { CommandContext } from '../domain/metadata.js';
import {
  decide,
  evolve,
  initialState,
  type ThreadState,
  targetOf,
} from '../domain/threadDecider.js';
import { ContentKeyDestroyedError, type EventCodec } from '../store/eventCodec.js';
import type { EventStore, ExpectedRevision } from '../store/eventStore.js';
import { CommandStats } from './commandStats.js';

export type Clock = () => number;

/** The commands sent with an Idempotency-Key that this stream recorded: by actor and key. */
type KeyedCommands = ReadonlyMap<
  string,
  { readonly request: string; readonly position: bigint; readonly atMs: number }
>;

export type Loaded = {
  readonly state: ThreadState;
  readonly revision: ExpectedRevision;
  /** Present when read from the stream (not on a state carried over from a previous command). */
  readonly keyed?: KeyedCommands;
  /** Where each spawn edge was recorded: a replayed cascade follows only the edges it knew. */
  readonly edgeAt?: ReadonlyMap<ThreadId, bigint>;
};

/** How long a recorded Idempotency-Key answers for its command, as the HTTP layer's own record does. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

const keyOf = (actor: string, key: string) => `${actor}\n${key}`;

/** `descendant`: a step of a cascade below the thread the request named. */
export type CascadeStep = { readonly descendant?: boolean };

export type Handled = {
  readonly events: DomainEvent[];
  readonly state: ThreadState;
  /** The stream's revision after the command: with `state`, a `Loaded` to decide the next command on. */
  readonly revision: ExpectedRevision;
  /** Global position of the last event written; null when the command changed nothing. */
  readonly position: bigint | null;
  /** The command was found done in the stream (a keyed retry): nothing was appended. */
  readonly replayed?: boolean;
};

export type HandleError =
  | DomainError
  | { kind: 'TooManyConflicts'; threadId: ThreadId; attempts: number }
  /** The Idempotency-Key was recorded on this thread for another request. */
  | { kind: 'IdempotencyKeyReused'; threadId: ThreadId; key: string }
  /**
   * An event the command produced would not read back as the log stores it (a number JSON cannot
   * hold, a value its schema refuses): nothing was appended. `errors` name the event's fields.
   */
  | {
      kind: 'UnrecordableEvent';
      threadId: ThreadId;
      eventType: string;
      errors: readonly FieldError[];
    };

/** A refusal in words, for reports and logs. */
export const describeHandleError = (e: HandleError): string => {
  switch (e.kind) {
    case 'TooManyConflicts':
      return `too many concurrent changes to thread ${e.threadId} (${e.attempts} attempts)`;
    case 'IdempotencyKeyReused':
      return `the key ${e.key} was used for a different request`;
    case 'UnrecordableEvent':
      return `${e.eventType} of thread ${e.threadId} would not read back from the log: ${describeFieldErrors(e.errors)}`;
    default:
      return describeDomainError(e);
  }
};

/**
 * Command handling: read the thread's stream, decide, append at the revision read. On a
 * concurrency conflict the stream is read again and the command decided again, a bounded
 * number of times: the decision is always made on the latest history.
 */
export class ThreadRepository {
  readonly stats = new CommandStats();

  constructor(
    private readonly store: EventStore,
    private readonly codec: EventCodec,
    private readonly clock: Clock,
    private readonly newId: () => string,
    private readonly maxAttempts = 8,
  ) {}

  async load(threadId: ThreadId): Promise<Loaded> {
    const recorded = await this.store.readStream(streamOf(threadId));
    let state = initialState;
    const keyed = new Map<string, { request: string; position: bigint; atMs: number }>();
    const edgeAt = new Map<ThreadId, bigint>();
    for (const r of recorded) {
      const { event, metadata } = this.codec.decodeSealed(r);
      state = evolve(state, event);
      const idem = metadata.idempotency;
      if (idem)
        keyed.set(keyOf(metadata.actor, idem.key), {
          request: idem.request,
          position: r.position,
          atMs: metadata.recordedAtMs,
        });
      if (event.type === 'SubagentSpawned') edgeAt.set(event.data.childThreadId, r.position);
    }
    const last = recorded[recorded.length - 1];
    return { state, revision: last ? last.revision : 'no_stream', keyed, edgeAt };
  }

  /**
   * Whether this thread already recorded the command a keyed context names (a retry, on this
   * instance after a crash or on another one): its position, 'other' if the key went with
   * another request, null if not recorded (or recorded longer ago than the window).
   */
  recorded(loaded: Loaded, ctx: CommandContext): { position: bigint } | 'other' | null {
    const idem = ctx.idempotency;
    const done = idem ? loaded.keyed?.get(keyOf(ctx.actor, idem.key)) : undefined;
    if (!idem || !done || done.atMs < this.clock() - IDEMPOTENCY_WINDOW_MS) return null;
    return done.request === idem.request ? { position: done.position } : 'other';
  }

  /**
   * `known`: the thread as the caller last saw it. The first attempt decides on it without reading
   * the stream again; if the stream moved meanwhile the append conflicts and the usual re-read follows.
   */
  async handle(
    command: Command,
    ctx: CommandContext,
    known?: Loaded,
    opts: CascadeStep = {},
  ): Promise<E.Either<HandleError, Handled>> {
    const r = await this.run(
      targetOf(command),
      ctx,
      (state) => decide(command, state),
      known,
      opts,
    );
    this.stats.count(
      command.type,
      E.isLeft(r)
        ? r.left.kind
        : r.right.replayed
          ? 'replayed'
          : r.right.events.length > 0
            ? 'applied'
            : 'unchanged',
    );
    return r;
  }

  /**
   * Decides several commands on one thread in order and appends what they produce in one append.
   * A refused command is skipped and reported, the others still apply (the worker records the
   * steps it finished this way, in one write).
   */
  async handleAll(
    threadId: ThreadId,
    commands: readonly Command[],
    ctx: CommandContext,
    known?: Loaded,
  ): Promise<E.Either<HandleError, Handled & { refused: DomainError[] }>> {
    let refused: DomainError[] = [];
    const r = await this.run(
      threadId,
      ctx,
      (initial) => {
        refused = [];
        let state = initial;
        const events: DomainEvent[] = [];
        for (const c of commands) {
          const d =
            targetOf(c) === threadId
              ? decide(c, state)
              : E.left<DomainError>({ kind: 'WrongThread', expected: threadId, got: targetOf(c) });
          if (E.isLeft(d)) refused.push(d.left);
          else {
            events.push(...d.right);
            state = d.right.reduce(evolve, state);
          }
        }
        return E.right(events);
      },
      known,
    );
    return E.map((h: Handled) => ({ ...h, refused }))(r);
  }

  private async run(
    threadId: ThreadId,
    ctx: CommandContext,
    decider: (s: ThreadState) => E.Either<DomainError, DomainEvent[]>,
    known?: Loaded,
    opts: CascadeStep = {},
  ): Promise<E.Either<HandleError, Handled>> {
    // A keyed command is checked against the stream itself: a carried-over state knows no keys.
    const trusted = known && (!ctx.idempotency || known.keyed) ? known : undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const loaded = attempt === 1 && trusted ? trusted : await this.load(threadId);
      const { state, revision } = loaded;
      const before = this.recorded(loaded, ctx);
      // A descendant that holds the key from another request is just decided: the cascade's root
      // has judged the request already, and it must not stop half-way.
      if (before === 'other' && !opts.descendant)
        return E.left({ kind: 'IdempotencyKeyReused', threadId, key: ctx.idempotency!.key });
      if (before && before !== 'other')
        return E.right({ events: [], state, revision, position: before.position, replayed: true });
      const decision = decider(state);
      if (E.isLeft(decision)) {
        // A refusal on a possibly stale view is confirmed on the stream itself.
        if (attempt === 1 && trusted) continue;
        return decision;
      }
      const events = decision.right;
      if (events.length === 0) {
        if (attempt === 1 && trusted) continue;
        return E.right({ events, state, revision, position: null });
      }
      const keys = await this.codec.prepare(events);
      const recordedAtMs = this.clock();
      let toAppend;
      try {
        toAppend = events.map((e) =>
          this.codec.encode(e, { ...ctx, recordedAtMs }, this.newId(), keys),
        );
      } catch (err) {
        if (err instanceof ContentKeyDestroyedError) continue; // decided on a state the deletion has passed
        throw err;
      }
      // Nothing is appended that would not read back: one bad value would stop every reader of the log.
      for (const e of toAppend) {
        const checked = this.codec.checkRoundTrip(e);
        if (E.isLeft(checked))
          return E.left({
            kind: 'UnrecordableEvent',
            threadId,
            eventType: checked.left.eventType,
            errors: checked.left.errors,
          });
      }
      const appended = await this.store.append(streamOf(threadId), toAppend, revision);
      if (E.isLeft(appended)) this.stats.conflicts++;
      if (E.isRight(appended)) {
        return E.right({
          events,
          state: events.reduce(evolve, state),
          revision: appended.right.nextExpectedRevision,
          position: appended.right.position,
        });
      }
    }
    return E.left({ kind: 'TooManyConflicts', threadId, attempts: this.maxAttempts });
  }
}
