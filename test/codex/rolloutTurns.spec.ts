import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotARegularFile, readRolloutTurns, TurnBuilder } from '../../src/codex/rolloutTurns.js';
import {
  agentMessage,
  taskComplete,
  taskStarted,
  userMessage,
  writeRolloutFile,
} from '../support/rolloutWriter.js';
import { tempDir } from '../support/tempDir.js';

const line = ([type, payload]: [string, Record<string, unknown>]) => ({
  timestamp: 't',
  type,
  payload,
});
const build = (...lines: [string, Record<string, unknown>][]) => {
  const b = new TurnBuilder();
  b.handle(line(['session_meta', { id: '019a0004-0000-7000-8000-000000000001' }]));
  for (const l of lines) b.handle(line(l));
  return b.finish();
};
/** A named pipe, where the platform has `mkfifo`. */
const mkfifoSync = (path: string): boolean => spawnSync('mkfifo', [path]).status === 0;
const T = '019a0004-0000-7000-8000-0000000000f1';

describe('the turn builder (as codex app-server 0.169.0 builds turns)', () => {
  it('names implicit turns rollout-<position of the kept line that opened them>, and items item-<n> across the thread', () => {
    const turns = build(
      userMessage('a'),
      ['event_msg', { type: 'exec_command_end', call_id: 'c' }],
      ['event_msg', { type: 'token_count' }],
      userMessage('b'),
    );
    expect(turns.map((t) => t.id)).toEqual(['rollout-1', 'rollout-3']); // exec_command_end is not kept, token_count is
    expect(turns.flatMap((t) => t.items.map((i) => i.id))).toEqual(['item-1', 'item-2']);
  });

  it('keeps an explicit turn open across user messages; closes it on task_complete; marks one left open interrupted', () => {
    const turns = build(
      taskStarted(T, { started_at: 10 }),
      userMessage('a'),
      userMessage('b'),
      taskComplete(T, { completed_at: 20, duration_ms: 10_000 }),
      taskStarted('t2'),
      userMessage('c'),
    );
    expect(
      turns.map((t) => [t.id, t.status, t.items.length, t.startedAt, t.completedAt, t.durationMs]),
    ).toEqual([
      [T, 'completed', 2, 10, 20, 10_000],
      ['t2', 'interrupted', 1, null, null, null],
    ]);
  });

  it('merges consecutive reasoning, skips empty messages and unknown kinds, upserts tool items by call id', () => {
    const mcp = (tool: string) =>
      [
        'event_msg',
        {
          type: 'mcp_tool_call_end',
          call_id: 'm',
          invocation: { server: 's', tool },
          duration: { secs: 0, nanos: 3_000_000 },
          result: { Ok: { content: [] } },
        },
      ] as [string, Record<string, unknown>];
    const [t] = build(
      userMessage('a'),
      ['event_msg', { type: 'agent_reasoning', text: 'r1' }],
      ['event_msg', { type: 'agent_reasoning_raw_content', text: 'raw' }],
      agentMessage(''),
      ['event_msg', { type: 'brand_new' }],
      mcp('t1'),
      mcp('t2'),
    );
    expect(t!.items.map((i) => [i.type, i.id])).toEqual([
      ['userMessage', 'item-1'],
      ['reasoning', 'item-2'],
      ['mcpToolCall', 'm'],
    ]);
    expect(t!.items[1]).toMatchObject({ summary: ['r1'], content: ['raw'] });
    expect(t!.items[2]).toMatchObject({ tool: 't2', status: 'completed', durationMs: 3 });
  });

  it('drops a turn-scoped item for an unknown turn, and rolls back turns', () => {
    const turns = build(
      taskStarted(T),
      userMessage('a'),
      taskComplete(T),
      userMessage('b'),
      [
        'event_msg',
        {
          type: 'patch_apply_end',
          call_id: 'p',
          turn_id: 'nope',
          changes: {},
          status: 'completed',
        },
      ],
      ['event_msg', { type: 'thread_rolled_back', num_turns: 1 }],
      userMessage('c'),
    );
    expect(turns.map((t) => t.items.map((i) => i.id))).toEqual([['item-1'], ['item-2']]);
  });
});

describe('reading a rollout for turns', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ path: dir, remove } = await tempDir('turns-')));
  afterAll(() => remove());

  const rollout = (n: number, lines: Parameters<typeof writeRolloutFile>[1]['lines']) =>
    writeRolloutFile(dir, {
      id: `019a0004-0000-7000-8000-${String(n).padStart(12, '0')}`,
      createdAt: new Date('2026-11-20T10:00:01Z'),
      mtime: new Date('2026-11-20T11:00:00Z'),
      provider: 'openai',
      lines,
    });

  it('answers the turns and the file modification time', async () => {
    const r = await readRolloutTurns(rollout(1, [userMessage('hello'), agentMessage('hi')]));
    expect(r.turns).toHaveLength(1);
    expect(r.mtimeMs).toBe(Date.parse('2026-11-20T11:00:00Z'));
    expect(r.truncated).toBe(false);
  });

  it('stops at the item cap and at the byte cap, and says so', async () => {
    const many = Array.from({ length: 50 }, (_, i) => userMessage(`m${i}`));
    const byItems = await readRolloutTurns(rollout(2, many), { maxBytes: 1 << 20, maxItems: 10 });
    expect(byItems.turns.flatMap((t) => t.items)).toHaveLength(10);
    expect(byItems.truncated).toBe(true);
    const byBytes = await readRolloutTurns(rollout(3, many), { maxBytes: 600, maxItems: 1000 });
    expect(byBytes.truncated).toBe(true);
    expect(byBytes.turns.length).toBeGreaterThan(0);
    expect(byBytes.turns.length).toBeLessThan(50);
  });

  it('refuses a symbolic link and anything but a regular file', async () => {
    const real = rollout(4, [userMessage('secret')]);
    const link = join(dir, 'link.jsonl');
    symlinkSync(real, link);
    await expect(readRolloutTurns(link)).rejects.toBeInstanceOf(NotARegularFile);
    mkdirSync(join(dir, 'a-dir.jsonl'));
    await expect(readRolloutTurns(join(dir, 'a-dir.jsonl'))).rejects.toBeInstanceOf(
      NotARegularFile,
    );
    const fifo = join(dir, 'fifo.jsonl');
    if (mkfifoSync(fifo))
      await expect(readRolloutTurns(fifo)).rejects.toBeInstanceOf(NotARegularFile);
  });
});
