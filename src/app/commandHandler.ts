import * as E from 'fp-ts/lib/Either.js';
import type { Command } from '../domain/commands.js';
import type { DomainError } from '../domain/errors.js';
import type { DomainEvent } from '../domain/events.js';
import type { ThreadId } from '../domain/ids.js';
import type { CommandContext } from '../domain/metadata.js';
import { decide, evolve, type ThreadState, targetOf } from '../domain/threadDecider.js';
import type { Clock } from './clock.js';
import { CommandStats } from './commandStats.js';
import type { HandleError } from './handleError.js';
import { recordedCommand } from './idempotency.js';
import type { Loaded, ThreadRepository } from './threadRepository.js';

export type Handled = {
  readonly events: DomainEvent[];
  readonly state: ThreadState;
  /** The stream's revision after the command: with `state`, a `Loaded` to decide the next command on. */
  readonly revision: Loaded['revision'];
  /** Global position of the last event written; null when the command changed nothing. */
  readonly position: bigint | null;
  /** The command was found done in the stream (a keyed retry): nothing was appended. */
  readonly replayed?: boolean;
};

export type HandleOptions = {
  /**
   * The thread as the caller last saw it. The first attempt decides on it without reading the
   * stream again; if the stream moved meanwhile the append conflicts and the usual re-read follows.
   */
  readonly known?: Loaded;
  /** A step of a cascade below the thread the request named. */
  readonly descendant?: boolean;
  /**
   * Recorded in the same append, after the command, each decided on the state the one before it
   * left; one refused is skipped (the importer records a thread's start with its name and archive).
   */
  readonly followedBy?: readonly Command[];
  /**
   * What the command waits on outside the log (a rollout to move, Codex's index to append to):
   * run once, when the command is first found acceptable and before it is recorded. It returns
   * the command completed with what it did, which is the one decided and recorded.
   */
  readonly effect?: (state: ThreadState) => Promise<Command>;
};

type Decider = (state: ThreadState) => E.Either<DomainError, DomainEvent[]>;

/** The command's events, then those of each `followedBy` command that the state it leaves accepts. */
const deciderOf =
  (command: Command, followedBy: readonly Command[] = []): Decider =>
  (state) =>
    E.map((events: DomainEvent[]) => {
      let s = events.reduce(evolve, state);
      const all = [...events];
      for (const c of followedBy) {
        const d = decide(c, s);
        if (E.isRight(d)) {
          all.push(...d.right);
          s = d.right.reduce(evolve, s);
        }
      }
      return all;
    })(decide(command, state));

/**
 * Command handling, in one place: read the thread's stream, answer a keyed retry from it, decide
 * the command once, append at the revision read. On a concurrency conflict the stream is read
 * again and the command decided again, a bounded number of times: the decision is always made on
 * the latest history. Every outcome is counted here, for /metrics.
 */
export class CommandHandler {
  readonly stats = new CommandStats();

  constructor(
    readonly repo: ThreadRepository,
    private readonly clock: Clock,
    private readonly maxAttempts = 8,
  ) {}

  async handle(
    command: Command,
    ctx: CommandContext,
    opts: HandleOptions = {},
  ): Promise<E.Either<HandleError, Handled>> {
    const effect = opts.effect;
    const r = await this.run(targetOf(command), ctx, deciderOf(command, opts.followedBy), {
      ...opts,
      effect: effect && (async (s) => deciderOf(await effect(s), opts.followedBy)),
    });
    // A descendant's refusal is passed over by its cascade: it is not the request's answer.
    if (!(E.isLeft(r) && opts.descendant)) this.stats.count(command.type, outcomeOf(r));
    return r;
  }

  /**
   * Decides several commands on one thread in order and appends what they produce in one append.
   * A refused command is skipped, the others still apply (the worker records the steps it
   * finished this way, in one write).
   */
  handleAll(
    threadId: ThreadId,
    commands: readonly Command[],
    ctx: CommandContext,
    known?: Loaded,
  ): Promise<E.Either<HandleError, Handled>> {
    const decider: Decider = (initial) => {
      let state = initial;
      const events: DomainEvent[] = [];
      for (const c of commands) {
        const d = targetOf(c) === threadId ? decide(c, state) : E.left(null);
        if (E.isRight(d)) {
          events.push(...d.right);
          state = d.right.reduce(evolve, state);
        }
      }
      return E.right(events);
    };
    return this.run(threadId, ctx, decider, { known });
  }

  /** A request refused before its command could be handed over (its rollout path): counted too. */
  refuse<A>(type: Command['type'], error: HandleError): E.Either<HandleError, A> {
    this.stats.count(type, error.kind);
    return E.left(error);
  }

  private async run(
    threadId: ThreadId,
    ctx: CommandContext,
    decider: Decider,
    opts: {
      readonly known?: Loaded;
      readonly descendant?: boolean;
      readonly effect?: (state: ThreadState) => Promise<Decider>;
    },
  ): Promise<E.Either<HandleError, Handled>> {
    // A keyed command is checked against the stream itself: a carried-over state knows no keys.
    let view = opts.known && (!ctx.idempotency || opts.known.keyed) ? opts.known : undefined;
    let effect = opts.effect;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      // A view this attempt did not read may be stale: a refusal on it is confirmed on the stream.
      const stale = view !== undefined;
      const loaded = view ?? (await this.repo.load(threadId));
      view = undefined;
      const { state, revision } = loaded;

      const before = recordedCommand(loaded.keyed, ctx, this.clock());
      // A descendant that holds the key from another request is just decided: the cascade's root
      // has judged the request already, and it must not stop half-way.
      if (before === 'other' && !opts.descendant)
        return E.left({ kind: 'IdempotencyKeyReused', threadId, key: ctx.idempotency!.key });
      if (before && before !== 'other')
        return E.right({ events: [], state, revision, position: before.position, replayed: true });

      const decision = decider(state);
      if (E.isLeft(decision)) {
        if (stale) continue;
        return decision;
      }
      const events = decision.right;
      if (events.length === 0) {
        if (stale) continue;
        return E.right({ events, state, revision, position: null });
      }
      if (effect) {
        // Accepted: the effect runs, once; the command it completes is decided next, on this view.
        decider = await effect(state);
        effect = undefined;
        view = loaded;
        attempt--; // not an attempt at the stream
        continue;
      }

      const appended = await this.repo.append(threadId, events, ctx, revision);
      if (E.isRight(appended))
        return E.right({
          events,
          state: events.reduce(evolve, state),
          revision: appended.right.nextExpectedRevision,
          position: appended.right.position,
        });
      switch (appended.left.kind) {
        case 'WrongExpectedVersion':
          this.stats.conflicts++;
          continue;
        case 'ContentKeyDestroyed':
          continue; // decided on a state the deletion has passed: decided again on the stream
        default:
          return E.left(appended.left);
      }
    }
    return E.left({ kind: 'TooManyConflicts', threadId, attempts: this.maxAttempts });
  }
}

/** A command's outcome, as /metrics counts it: `applied`, `unchanged`, `replayed` or the refusal. */
const outcomeOf = (r: E.Either<HandleError, Handled>): string =>
  E.isLeft(r)
    ? r.left.kind
    : r.right.replayed
      ? 'replayed'
      : r.right.events.length > 0
        ? 'applied'
        : 'unchanged';
