import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type RolloutSpec = {
  id: string;
  createdAt: Date;
  /** The file's modification time (Codex's `updatedAt` in thread/list). */
  mtime: Date;
  provider: string;
  source?: string;
  cwd?: string;
  /** Lines after session_meta: `[type, payload]`, or a raw string written as is. */
  lines: ([string, Record<string, unknown>] | string)[];
};

const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, '');

/** Writes `sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl` as Codex lays it out; returns its path. */
export const writeRolloutFile = (home: string, r: RolloutSpec): string => {
  const [y, m, d] = r.createdAt.toISOString().slice(0, 10).split('-') as [string, string, string];
  const dir = join(home, 'sessions', y, m, d);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `rollout-${stamp(r.createdAt)}-${r.id}.jsonl`);
  const ts = r.createdAt.toISOString();
  const meta = {
    id: r.id,
    timestamp: ts,
    cwd: r.cwd ?? '/home/dev/project',
    originator: 'codex_cli_rs',
    cli_version: '0.169.0',
    source: r.source ?? 'cli',
    model_provider: r.provider,
  };
  const lines = [JSON.stringify({ timestamp: ts, type: 'session_meta', payload: meta })];
  for (const l of r.lines)
    lines.push(
      typeof l === 'string' ? l : JSON.stringify({ timestamp: ts, type: l[0], payload: l[1] }),
    );
  writeFileSync(path, `${lines.join('\n')}\n`);
  utimesSync(path, r.mtime, r.mtime);
  return path;
};

const ev = (payload: Record<string, unknown>): [string, Record<string, unknown>] => [
  'event_msg',
  payload,
];
export const userMessage = (message: string, extra: Record<string, unknown> = {}) =>
  ev({ type: 'user_message', message, kind: 'plain', ...extra });
export const agentMessage = (message: string, phase?: string) =>
  ev({ type: 'agent_message', message, ...(phase ? { phase } : {}) });
export const taskStarted = (turnId: string, extra: Record<string, unknown> = {}) =>
  ev({ type: 'task_started', turn_id: turnId, model_context_window: 272000, ...extra });
export const taskComplete = (turnId: string, extra: Record<string, unknown> = {}) =>
  ev({ type: 'task_complete', turn_id: turnId, last_agent_message: null, ...extra });
/** A turn_context complete enough that Codex 0.169.0 keeps it (a bare `{cwd}` it drops). */
export const turnContext = (turnId: string): [string, Record<string, unknown>] => [
  'turn_context',
  {
    turn_id: turnId,
    cwd: '/home/dev/project',
    approval_policy: 'on-request',
    sandbox_policy: { type: 'read-only' },
    model: 'gpt-5',
    summary: 'auto',
  },
];

/**
 * A rollout with turns of every kind Codex 0.169.0 renders, and of kinds it skips: explicit turns
 * (task_started/task_complete with times, turn_aborted), an implicit (legacy) turn, reasoning,
 * raw reasoning, agent messages with phases, a patch (add, delete, update with a move), MCP calls
 * (success and error), web searches, review mode, context compaction, a plan item, images and
 * text elements in a user message; and exec commands, view_image, *_begin events, an error and an
 * unknown event type, which Codex leaves out (and does not count).
 */
export const richTurnLines = (
  threadId: string,
  turn1: string,
  turn2: string,
  turn3: string,
): RolloutSpec['lines'] => [
  taskStarted(turn1, { started_at: 1795168801 }),
  turnContext(turn1),
  [
    'response_item',
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'fix the build' }] },
  ],
  userMessage('fix the build', {
    images: ['https://example.com/one.png'],
    local_images: ['/home/dev/shot.png'],
    text_elements: [{ byte_range: { start: 4, end: 7 }, placeholder: 'the' }],
  }),
  ev({ type: 'agent_reasoning', text: 'Looking at the failure' }),
  ev({ type: 'agent_reasoning', text: 'It is the lockfile' }),
  ev({ type: 'agent_reasoning_raw_content', text: 'raw chain' }),
  agentMessage('Running the tests first.', 'commentary'),
  ev({
    type: 'exec_command_begin',
    call_id: 'call_exec',
    turn_id: turn1,
    command: ['bash', '-lc', 'npm test'],
    cwd: '/home/dev/project',
    parsed_cmd: [],
    source: 'agent',
  }),
  ev({
    type: 'exec_command_end',
    call_id: 'call_exec',
    turn_id: turn1,
    command: ['bash', '-lc', 'npm test'],
    cwd: '/home/dev/project',
    parsed_cmd: [],
    source: 'agent',
    stdout: 'ok',
    stderr: '',
    aggregated_output: 'ok',
    exit_code: 0,
    duration: { secs: 1, nanos: 0 },
    formatted_output: 'ok',
    status: 'completed',
  }),
  ev({
    type: 'patch_apply_begin',
    call_id: 'call_patch',
    turn_id: turn1,
    auto_approved: true,
    changes: {},
  }),
  ev({
    type: 'patch_apply_end',
    call_id: 'call_patch',
    turn_id: turn1,
    stdout: 'Success',
    stderr: '',
    success: true,
    status: 'completed',
    changes: {
      '/home/dev/project/z.txt': { type: 'delete', content: 'old\n' },
      '/home/dev/project/a.txt': { type: 'add', content: 'new\n' },
      '/home/dev/project/m.txt': {
        type: 'update',
        unified_diff: '@@ -1 +1 @@\n-a\n+b\n',
        move_path: '/home/dev/project/n.txt',
      },
    },
  }),
  ev({
    type: 'mcp_tool_call_begin',
    call_id: 'call_mcp',
    invocation: { server: 'docs', tool: 'search', arguments: { q: 'lockfile' } },
  }),
  ev({
    type: 'mcp_tool_call_end',
    call_id: 'call_mcp',
    invocation: { server: 'docs', tool: 'search', arguments: { q: 'lockfile' } },
    duration: { secs: 1, nanos: 250_000_000 },
    result: { Ok: { content: [{ type: 'text', text: 'found' }] } },
  }),
  ev({
    type: 'mcp_tool_call_end',
    call_id: 'call_mcp2',
    invocation: { server: 'docs', tool: 'fetch' },
    duration: { secs: 0, nanos: 0 },
    result: { Err: 'timed out' },
  }),
  ev({ type: 'web_search_begin', call_id: 'ws1' }),
  ev({
    type: 'web_search_end',
    call_id: 'ws1',
    query: 'npm ci lockfile',
    action: { type: 'search', query: 'npm ci lockfile' },
  }),
  ev({
    type: 'web_search_end',
    call_id: 'ws2',
    query: 'docs',
    action: { type: 'open_page', url: 'https://docs.npmjs.com' },
  }),
  ev({ type: 'view_image_tool_call', call_id: 'img', path: '/home/dev/shot.png' }),
  ev({
    type: 'item_completed',
    thread_id: threadId,
    turn_id: turn1,
    item: { type: 'Plan', id: 'plan-1', text: '1. update the lockfile' },
  }),
  ev({
    type: 'item_completed',
    thread_id: 'not-a-thread-id',
    turn_id: turn1,
    item: { type: 'Plan', id: 'plan-2', text: 'dropped by Codex' },
  }),
  ev({ type: 'token_count', info: null, rate_limits: null }),
  ev({ type: 'error', message: 'stream hiccup' }),
  ev({ type: 'some_future_event', value: 1 }),
  agentMessage('Fixed.', 'final_answer'),
  taskComplete(turn1, { completed_at: 1795168861, duration_ms: 60000 }),
  taskStarted(turn2),
  userMessage('now review it'),
  ev({
    type: 'entered_review_mode',
    target: { type: 'uncommittedChanges' },
    user_facing_hint: 'current changes',
  }),
  ev({
    type: 'exited_review_mode',
    review_output: {
      findings: [],
      overall_correctness: 'ok',
      overall_explanation: ' Looks right. ',
      overall_confidence_score: 0.8,
    },
  }),
  ev({ type: 'context_compacted' }),
  ev({
    type: 'turn_aborted',
    turn_id: turn2,
    reason: 'interrupted',
    completed_at: 1795168900,
    duration_ms: 1200,
  }),
  userMessage('legacy turn without boundaries'),
  agentMessage('ok'),
  'not json at all',
  userMessage('another legacy turn'),
  taskStarted(turn3),
  userMessage('left running'),
  agentMessage(''),
];
