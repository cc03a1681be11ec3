import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { nullable, type SessionSource, type SourceKind } from '../domain/events.js';
import { describeFieldErrors, fieldErrorsOf } from '../domain/fieldErrors.js';
import { SpawnDepth } from '../domain/numbers.js';

/**
 * The `source` of a rollout's `session_meta` as Codex writes it on disk (`"subagent"`, snake_case)
 * and as its app-server answers it (`"subAgent"`), and the source kind a thread is listed by.
 */

const SpawnOnDisk = t.type({
  thread_spawn: t.intersection([
    t.type({ parent_thread_id: t.string, depth: SpawnDepth }),
    t.partial({
      agent_path: nullable(t.string),
      agent_nickname: nullable(t.string),
      agent_role: nullable(t.string),
    }),
  ]),
});

const subagentOf = (raw: unknown): unknown => {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  return o['subagent'] ?? o['subAgent'] ?? o['sub_agent'];
};

/**
 * A spawn record that is there but not valid (a `depth` of 1.5, or 1e400 which JSON reads as
 * Infinity): the rollout is refused, naming the field, rather than imported with a value the
 * log could not hold or silently taken for another source.
 */
export const invalidSpawn = (raw: unknown): string | null => {
  const sub = subagentOf(raw);
  if (typeof sub !== 'object' || sub === null || !('thread_spawn' in sub)) return null;
  const r = SpawnOnDisk.decode(sub);
  return E.isLeft(r)
    ? describeFieldErrors(
        fieldErrorsOf(r.left).map((e) => ({ ...e, field: `source.subagent.${e.field}` })),
      )
    : null;
};

/** Codex's on-disk source (`"subagent"`) in its wire form (`"subAgent"`). */
export const sourceOnWire = (raw: unknown): SessionSource => {
  if (raw === 'cli' || raw === 'vscode' || raw === 'exec' || raw === 'unknown') return raw;
  if (raw === 'mcp' || raw === 'app_server' || raw === 'appServer') return 'appServer';
  if (typeof raw === 'object' && raw !== null) {
    const o = raw as Record<string, unknown>;
    const sub = subagentOf(o);
    if (sub === 'review' || sub === 'compact' || sub === 'memory_consolidation')
      return { subAgent: sub };
    if (SpawnOnDisk.is(sub)) return { subAgent: sub };
    if (
      typeof sub === 'object' &&
      sub !== null &&
      typeof (sub as { other?: unknown }).other === 'string'
    ) {
      return { subAgent: { other: (sub as { other: string }).other } };
    }
    if (typeof o['custom'] === 'string') return { custom: o['custom'] };
  }
  return 'unknown';
};

export const sourceKindOf = (s: SessionSource): SourceKind => {
  if (typeof s === 'string') return s;
  if ('custom' in s) return 'unknown';
  const sub = s.subAgent;
  if (sub === 'review') return 'subAgentReview';
  if (sub === 'compact') return 'subAgentCompact';
  if (typeof sub === 'object' && 'thread_spawn' in sub) return 'subAgentThreadSpawn';
  return 'subAgentOther';
};
