import * as E from 'fp-ts/lib/Either.js';
import { expect } from 'vitest';

/** A decider as the domain writes one: decide returns the new events, or why the command is refused. */
export type Decider<Command, Event, State, Error> = {
  readonly decide: (command: Command, state: State) => E.Either<Error, Event[]>;
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: State;
};

/** What a decision must have been. Each ends the specification with its assertion. */
export type Then<Event, Error> = {
  /** The command is accepted and records exactly these events. */
  then(expected: readonly Event[]): void;
  /** The command is accepted and records nothing (it was already done). */
  thenNothingHappened(): void;
  /** The command is refused, with exactly this error, and records nothing. */
  thenFails(expected: Error): void;
};

/**
 * Specifications of a decider, in Emmett's form:
 * `given(history).when(command).then(newEvents)`, or `.thenFails(error)`, or `.thenNothingHappened()`.
 * The history is folded with `evolve` from `initialState`; the command is decided on the state it
 * makes. (`then` makes the `when` result a thenable: never `await` it.)
 */
export const DeciderSpecification = {
  for:
    <Command, Event, State, Error>(decider: Decider<Command, Event, State, Error>) =>
    (history: readonly Event[] = []) => ({
      when: (command: Command): Then<Event, Error> => {
        const decided = () =>
          decider.decide(command, history.reduce(decider.evolve, decider.initialState));
        return {
          // biome-ignore lint/suspicious/noThenProperty: the given/when/then of the specification; never awaited
          then: (expected) => expect(decided()).toEqual(E.right(expected)),
          thenNothingHappened: () => expect(decided()).toEqual(E.right([])),
          thenFails: (expected) => expect(decided()).toEqual(E.left(expected)),
        };
      },
    }),
};
