// What several bench sections build on: Codex-like threads, appends in waves, a log of a
// realistic lifecycle mix written fast (encoded and appended directly, not through commands).
import { v7 as uuidv7 } from 'uuid';
import type { Ledger } from '../src/app/ledger.js';
import type { DomainEvent, ThreadStarted as Started } from '../src/domain/events.js';
import { streamOf, type ThreadId } from '../src/domain/ids.js';
import type { CommandContext } from '../src/domain/metadata.js';
import { newThread } from '../src/domain/newThread.js';

export const ctx: CommandContext = { actor: 'bench', requestId: 'bench', causationId: null };

export const KINDS = ['cli', 'cli', 'cli', 'vscode', 'exec', 'subAgentThreadSpawn'] as const;
export const started = (i: number, over: Partial<Started> = {}): Started =>
  newThread({
    threadId: uuidv7() as ThreadId, // Codex thread ids are UUIDv7
    sourceKind: KINDS[i % KINDS.length]!,
    cwd: `/home/dev/project-${i % 20}`,
    modelProvider: i % 5 === 0 ? 'azure' : 'openai',
    originator: 'codex_cli_rs',
    cliVersion: '0.169.0',
    createdAtMs: 1_790_000_000_000 + i * 1000,
    preview: `Please look at issue ${i} and propose a fix`,
    name: i % 3 === 0 ? `Thread number ${i}` : null,
    ...over,
  });

/** Runs `fn` over items with at most `width` in flight: concurrent appends share a commit. */
export const inWaves = async <T>(
  items: T[],
  width: number,
  fn: (t: T, i: number) => Promise<unknown>,
) => {
  for (let i = 0; i < items.length; i += width)
    await Promise.all(items.slice(i, i + width).map((t, j) => fn(t, i + j)));
};

/**
 * A log of `total` events over total/10 threads, ten events each, interleaved across threads.
 * Every other thread lives (start, renames, archives); the rest are deleted and purged, so their
 * keys are gone: a realistic lifecycle mix. `renameHeavy` makes every event after the start a
 * rename of a live thread: the worst case, one decryption per event.
 */
export const growLog = async (
  l: Ledger,
  threads: Started[],
  from: number,
  total: number,
  renameHeavy: boolean,
) => {
  const perThread = 10;
  const n = total / perThread;
  while (threads.length < n)
    threads.push(started(threads.length, { name: `name ${threads.length}` }));
  const fresh = threads.slice(from / perThread, n);
  const keys = await l.keys.ensure(fresh.map((t) => t.threadId));
  const event = (t: Started, i: number, r: number): DomainEvent => {
    const threadId = t.threadId;
    if (r === 0) return { type: 'ThreadStarted', data: t };
    if (renameHeavy || i % 2 === 0 || r < 5) {
      if (!renameHeavy && (r === 2 || r === 6))
        return { type: 'ThreadArchived', data: { threadId, rolloutPath: null } };
      if (!renameHeavy && (r === 3 || r === 7))
        return { type: 'ThreadUnarchived', data: { threadId, rolloutPath: null } };
      return { type: 'ThreadRenamed', data: { threadId, name: `renamed ${r}`, indexedIn: null } };
    }
    const path = `/sessions/rollout-${threadId}.jsonl`;
    switch (r) {
      case 5:
        return {
          type: 'ThreadDeleteRequested',
          data: { threadId, rootThreadId: threadId, reason: null, commits: null },
        };
      case 6:
        return {
          type: 'RolloutPurged',
          data: { threadId, path, outcome: 'removed', sizeBytes: 4096, sha256: 'ab'.repeat(32) },
        };
      case 7:
        return {
          type: 'RolloutPurged',
          data: { threadId, path: `${path}.zst`, outcome: 'absent', sizeBytes: null, sha256: null },
        };
      case 8:
        return { type: 'ThreadContentShredded', data: { threadId, outcome: 'destroyed' } };
      default:
        return { type: 'ThreadDeleted', data: { threadId, rootThreadId: threadId } };
    }
  };
  for (let r = 0; r < perThread; r++) {
    await inWaves(fresh, 2000, (t, i) =>
      l.store.append(
        streamOf(t.threadId),
        [
          l.codec.encode(
            event(t, i, r),
            { ...ctx, recordedAtMs: 1_790_000_000_000 + r },
            uuidv7(),
            keys,
          ),
        ],
        r === 0 ? 'no_stream' : BigInt(r - 1),
      ),
    );
    if (r === 8 && !renameHeavy)
      await l.keys.destroy(fresh.filter((_, i) => i % 2 === 1).map((t) => t.threadId));
  }
};
