import { describe, expect, it } from 'vitest';
import { type DueWork, eachAlone, perFile } from '../../../src/app/deletion/stepExecutor.js';
import type { Command } from '../../../src/domain/commands.js';
import type { ThreadId } from '../../../src/domain/ids.js';
import { initialState } from '../../../src/domain/threadState.js';
import { newId } from '../../support/threads.js';

type Rollout = { kind: 'PurgeRollout'; path: string };
const due = (path: string): DueWork<Rollout> => ({
  threadId: newId() as ThreadId,
  state: initialState,
  step: { kind: 'PurgeRollout', path },
});
const done = (w: DueWork<Rollout>): Command =>
  ({ type: 'RecordRolloutPurged', result: { threadId: w.threadId, path: w.step.path } }) as never;
const tick = () => new Promise((r) => setTimeout(r, 1));

describe('step executors', () => {
  it('run each step alone, at most so many at once, answering in the order given, a failure its own', async () => {
    let running = 0;
    let most = 0;
    const run = eachAlone<Rollout>(async (w) => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
      if (w.step.path.endsWith('7')) throw new Error(`cannot ${w.step.path}`);
      return done(w);
    }, 3);
    const work = Array.from({ length: 10 }, (_, i) => due(`/r/${i}`));
    const outcomes = await run(work);
    expect(most).toBe(3);
    expect(outcomes).toEqual(
      work.map((w, i) => (i === 7 ? { failed: 'cannot /r/7' } : { done: done(w) })),
    );
  });

  it('run once per file, the files at once, a failure failing only its file', async () => {
    let running = 0;
    let most = 0;
    const run = perFile<Rollout>(async (path, ws) => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
      if (path === '/b') throw new Error('busy');
      return new Map(ws.map((w) => [w.threadId, done(w)]));
    });
    const work = [due('/a'), due('/b'), due('/a'), due('/c')];
    const outcomes = await run(work);
    expect(most).toBe(3);
    expect(outcomes).toEqual([
      { done: done(work[0]!) },
      { failed: 'busy' },
      { done: done(work[2]!) },
      { done: done(work[3]!) },
    ]);
  });
});
