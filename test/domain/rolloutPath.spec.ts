import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { ThreadId } from '../../src/domain/ids.js';
import { checkRolloutPath } from '../../src/domain/rolloutPath.js';

const id = '01a21371-4b35-72ca-ac7d-282102267fc9' as ThreadId;
const other = '01a21371-4b35-72ca-ac7d-282102267fd0';
const roots = ['/home/u/.codex/sessions', '/home/u/.codex/archived_sessions'];
const reasonOf = (path: string) => {
  const r = checkRolloutPath(id, path, roots);
  return E.isLeft(r) && r.left.kind === 'InvalidRolloutPath' ? r.left.reason : 'accepted';
};

describe('a rollout path, checked on its text against the roots (no I/O)', () => {
  it("accepts the thread's own file inside a root, as Codex names it", () => {
    expect(
      reasonOf(`/home/u/.codex/sessions/2026/11/20/rollout-2026-11-20T10-00-00-${id}.jsonl`),
    ).toBe('accepted');
    expect(reasonOf(`/home/u/.codex/archived_sessions/rollout-${id}.jsonl`)).toBe('accepted');
  });

  it('refuses what the purge would refuse, or that is not the thread’s own file, saying why', () => {
    const cases: [string, RegExp][] = [
      [`rollout-${id}.jsonl`, /absolute/],
      [`./sessions/rollout-${id}.jsonl`, /absolute/],
      [`/home/u/.codex/sessions/rollout-${id}.jsonl\0.txt`, /NUL/],
      [`/etc/rollout-${id}.jsonl`, /inside the configured rollout roots/],
      [`/home/u/.codex/sessions-evil/rollout-${id}.jsonl`, /inside the configured rollout roots/],
      [`/home/u/.codex/sessions/../rollout-${id}.jsonl`, /normalized/],
      [`/home/u/.codex/sessions/./rollout-${id}.jsonl`, /normalized/],
      [`/home/u/.codex/sessions//rollout-${id}.jsonl`, /normalized/],
      [`/home/u/.codex/sessions/rollout-${id}.jsonl/`, /normalized/],
      ['/home/u/.codex/sessions', /inside the configured rollout roots/],
      ['/home/u/.codex/sessions/notes.txt', /thread's own rollout/],
      [`/home/u/.codex/sessions/rollout-${other}.jsonl`, /thread's own rollout/],
      [`/home/u/.codex/sessions/rollout-x${id}.jsonl`, /thread's own rollout/],
      [`/home/u/.codex/sessions/rollout-${id}.jsonl.bak`, /thread's own rollout/],
      [`/home/u/.codex/sessions/${id}.jsonl`, /thread's own rollout/],
    ];
    for (const [path, reason] of cases)
      expect(reasonOf(path), JSON.stringify(path)).toMatch(reason);
  });
});
