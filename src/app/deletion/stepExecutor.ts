import type { Command } from '../../domain/commands.js';
import type { ThreadId } from '../../domain/ids.js';
import type { PurgeStep, StepKind } from '../../domain/purgeSteps.js';
import type { ThreadState } from '../../domain/threadState.js';
import { inLanes } from '../inLanes.js';

/** One step the domain planned, with the state of the thread it belongs to. */
export type DueWork<S extends PurgeStep = PurgeStep> = {
  readonly threadId: ThreadId;
  readonly state: ThreadState;
  readonly step: S;
};

/** What running a step came to: the command that records it done, or why it failed. */
export type StepOutcome = { readonly done: Command } | { readonly failed: string };

/**
 * Runs every due step of one kind in a pass, exactly as planned, and answers in the order given.
 * Batched where the artifact allows it: one rewrite of a file, one transaction in a database,
 * one durable write of the key store, for all the threads due.
 */
export type StepExecutor<S extends PurgeStep> = (
  work: readonly DueWork<S>[],
) => Promise<StepOutcome[]>;

/** One executor per kind of artifact: a kind without one does not compile. */
export type StepExecutors = {
  readonly [K in StepKind]: StepExecutor<Extract<PurgeStep, { kind: K }>>;
};

/** Adds `value` to the list under `key`, made on first use. */
export const pushTo = <K, V>(map: Map<K, V[]>, key: K, value: V): void => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

export const errorText = (err: unknown): string =>
  err instanceof Error ? err.message : String(err);

/**
 * An executor whose steps run one by one, each failing on its own, `atOnce` of them at a time at
 * most (each may hold descriptors until its asynchronous part ends: a bound, not a file per step).
 */
export const eachAlone =
  <S extends PurgeStep>(
    run: (w: DueWork<S>) => Promise<Command> | Command,
    atOnce = Number.POSITIVE_INFINITY,
  ): StepExecutor<S> =>
  async (work) => {
    const out: StepOutcome[] = new Array(work.length);
    await inLanes(work, atOnce, async (w, i) => {
      try {
        out[i] = { done: await run(w) };
      } catch (err) {
        out[i] = { failed: errorText(err) };
      }
    });
    return out;
  };

/**
 * An executor that runs once per file for all the threads due on it, the files at once (a run
 * that hands its work to another thread overlaps the others): `run` answers each thread's record
 * command; a throw fails every thread of that file.
 */
export const perFile =
  <S extends Extract<PurgeStep, { path: string }>>(
    run: (
      path: string,
      work: readonly DueWork<S>[],
    ) => Map<ThreadId, Command> | Promise<Map<ThreadId, Command>>,
  ): StepExecutor<S> =>
  async (work) => {
    const byPath = new Map<string, DueWork<S>[]>();
    for (const w of work) pushTo(byPath, w.step.path, w);
    const results = new Map<string, Map<ThreadId, Command> | string>();
    await Promise.all(
      [...byPath].map(async ([path, ws]) => {
        try {
          results.set(path, await run(path, ws));
        } catch (err) {
          results.set(path, errorText(err));
        }
      }),
    );
    return work.map((w) => {
      const r = results.get(w.step.path)!;
      if (typeof r === 'string') return { failed: r };
      const done = r.get(w.threadId);
      return done ? { done } : { failed: `no outcome for ${w.threadId} in ${w.step.path}` };
    });
  };
