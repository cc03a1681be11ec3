import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { MAX_FILE_LINE_DEPTH, parseBoundedJson } from '../io/boundedJson.js';
import { NotARegularFile } from '../io/regularFile.js';

/**
 * The `turns` of `thread/read` with `includeTurns: true`, built from a rollout's lines the way
 * `codex app-server` 0.169.0 builds them (measured side by side, see test/codex/turns.*.spec.ts):
 *
 * - Only the lines Codex keeps when it loads a rollout count. It keeps `session_meta`, a complete
 *   `turn_context`, `compacted`, the `response_item`s it knows, and of the `event_msg`s the ones it
 *   persists: user and agent messages, reasoning, token counts, `patch_apply_end`,
 *   `mcp_tool_call_end`, `web_search_end`, review mode, compaction, rollback, plan items and the
 *   turn boundaries. `exec_command_*`, `view_image_tool_call`, the `*_begin` events, `error`,
 *   `warning`, `turn_diff`, `plan_update` and unknown kinds are skipped (Codex shows no command
 *   executions for a rollout it did not write in its extended mode).
 * - A turn opened by `task_started` has its `turn_id`; a turn opened implicitly (older rollouts)
 *   is `rollout-<n>`, n being the 0-based position of the kept line that opened it. Items that have
 *   no call id are numbered `item-1`, `item-2`, ... across the thread; tool items use their call id.
 * - A turn still open at the end of the rollout is `interrupted` (the thread is not loaded).
 */

export type WireItem = { type: string; id: string } & Record<string, unknown>;
export type TurnStatus = 'completed' | 'interrupted' | 'failed' | 'inProgress';
export type WireTurn = {
  id: string;
  rootTurnId: null;
  items: WireItem[];
  itemsView: 'full';
  status: TurnStatus;
  error: null;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
};

type Pending = {
  id: string;
  items: WireItem[];
  status: TurnStatus;
  startedAt: number | null;
  completedAt: number | null;
  durationMs: number | null;
  explicit: boolean;
  sawCompaction: boolean;
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string';
const int = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null;
const strOrNull = (v: unknown): string | null => (str(v) ? v : null);
const times = { startedAtMs: null, completedAtMs: null };

/** `{secs, nanos}` (Rust's Duration) in milliseconds. */
const durationMs = (d: unknown): number | null => {
  if (!isObj(d)) return null;
  const secs = int(d['secs']);
  const nanos = int(d['nanos']);
  return secs === null || nanos === null ? null : secs * 1000 + Math.floor(nanos / 1_000_000);
};

const RESPONSE_ITEM_TYPES = new Set([
  'message',
  'reasoning',
  'local_shell_call',
  'function_call',
  'function_call_output',
  'custom_tool_call',
  'custom_tool_call_output',
  'tool_search_call',
  'tool_search_output',
  'web_search_call',
  'image_generation_call',
  'ghost_snapshot',
  'compaction',
  'compaction_trigger',
  'context_compaction',
  'configuration_update',
  'agent_message',
]);
const TURN_CONTEXT_FIELDS = ['cwd', 'approval_policy', 'sandbox_policy', 'model', 'summary'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PATCH_STATUSES = new Set(['completed', 'failed', 'declined']);
const TURN_ITEM_TYPES = new Set([
  'UserMessage',
  'HookPrompt',
  'AgentMessage',
  'Reasoning',
  'WebSearch',
  'ImageGeneration',
  'ContextCompaction',
  'Plan',
]);

const webSearchAction = (a: unknown): Obj | null => {
  if (!isObj(a) || !str(a['type'])) return null;
  switch (a['type']) {
    case 'search':
      return {
        type: 'search',
        query: strOrNull(a['query']),
        queries: Array.isArray(a['queries']) ? a['queries'].filter(str) : null,
      };
    case 'open_page':
      return { type: 'openPage', url: strOrNull(a['url']) };
    case 'find_in_page':
      return { type: 'findInPage', url: strOrNull(a['url']), pattern: strOrNull(a['pattern']) };
    case 'other':
      return { type: 'other' };
    default:
      return null;
  }
};

/** A patch's changes (`{path: {type: add|delete|update, ...}}`) as FileUpdateChange[], sorted by path; null if malformed. */
const fileChanges = (changes: unknown): Obj[] | null => {
  if (!isObj(changes)) return null;
  const out: Obj[] = [];
  for (const [path, c] of Object.entries(changes)) {
    if (!isObj(c)) return null;
    if ((c['type'] === 'add' || c['type'] === 'delete') && str(c['content'])) {
      out.push({ path, kind: { type: c['type'] }, diff: c['content'] });
    } else if (c['type'] === 'update' && str(c['unified_diff'])) {
      const move = strOrNull(c['move_path']);
      out.push({
        path,
        kind: { type: 'update', move_path: move },
        diff: move ? `${c['unified_diff']}\n\nMoved to: ${move}` : c['unified_diff'],
      });
    } else return null;
  }
  return out.sort((a, b) =>
    (a['path'] as string) < (b['path'] as string)
      ? -1
      : (a['path'] as string) > (b['path'] as string)
        ? 1
        : 0,
  );
};

const userInputs = (p: Obj): Obj[] | null => {
  const message = p['message'];
  if (!str(message)) return null;
  const content: Obj[] = [];
  if (message.trim() !== '') {
    const elements = Array.isArray(p['text_elements']) ? p['text_elements'] : [];
    content.push({
      type: 'text',
      text: message,
      text_elements: elements.filter(isObj).map((e) => ({
        byteRange: isObj(e['byte_range'])
          ? { start: int(e['byte_range']['start']) ?? 0, end: int(e['byte_range']['end']) ?? 0 }
          : { start: 0, end: 0 },
        placeholder: strOrNull(e['placeholder']),
      })),
    });
  }
  for (const url of Array.isArray(p['images']) ? p['images'] : [])
    if (str(url)) content.push({ type: 'image', url, detail: null });
  for (const path of Array.isArray(p['local_images']) ? p['local_images'] : [])
    if (str(path)) content.push({ type: 'localImage', path, detail: null });
  return content;
};

export class TurnBuilder {
  private readonly turns: Pending[] = [];
  private current: Pending | null = null;
  private nextItem = 1;
  /** Position of the next kept line (session_meta is 0). */
  private position = 0;
  /** Items created so far (an update of an existing item does not count). */
  items = 0;

  /** One parsed rollout line. Returns false if Codex would not keep the line (it is then not counted). */
  handle(line: unknown): boolean {
    if (!isObj(line) || !isObj(line['payload'])) return false;
    const p = line['payload'];
    switch (line['type']) {
      case 'session_meta':
        return this.keep(str(p['id']), () => {});
      case 'turn_context':
        return this.keep(
          TURN_CONTEXT_FIELDS.every((f) => p[f] !== undefined && p[f] !== null),
          () => {},
        );
      case 'compacted':
        return this.keep(str(p['message']), (at) => {
          this.ensureTurn(at).sawCompaction = true;
        });
      case 'response_item':
        return this.keep(str(p['type']) && RESPONSE_ITEM_TYPES.has(p['type']), () => {});
      case 'event_msg':
        return this.event(p);
      default:
        return false;
    }
  }

  private keep(kept: boolean, apply: (position: number) => void): boolean {
    if (!kept) return false;
    apply(this.position++);
    return true;
  }

  private event(p: Obj): boolean {
    switch (p['type']) {
      case 'user_message': {
        const content = userInputs(p);
        return this.keep(content !== null, (at) => {
          const cur = this.current;
          if (cur && !cur.explicit && !(cur.sawCompaction && cur.items.length === 0))
            this.finishCurrent();
          this.current ??= this.newTurn(`rollout-${at}`);
          const turn = this.current;
          this.push(turn, {
            type: 'userMessage',
            id: this.itemId(),
            clientId: strOrNull(p['client_id']),
            content: content!,
            ...times,
          });
        });
      }
      case 'agent_message':
        return this.keep(str(p['message']), (at) => {
          const text = p['message'] as string;
          if (text === '') return;
          const id = this.itemId();
          this.push(this.ensureTurn(at), {
            type: 'agentMessage',
            id,
            text,
            phase: strOrNull(p['phase']),
            memoryCitation: null,
            moderation: null,
            delivery: null,
            questions: null,
            ...times,
          });
        });
      case 'agent_reasoning':
      case 'agent_reasoning_raw_content': {
        const field = p['type'] === 'agent_reasoning' ? 'summary' : 'content';
        return this.keep(str(p['text']), (at) => {
          const text = p['text'] as string;
          if (text === '') return;
          const turn = this.ensureTurn(at);
          const last = turn.items[turn.items.length - 1];
          if (last?.type === 'reasoning') (last[field] as string[]).push(text);
          else
            this.push(turn, {
              type: 'reasoning',
              id: this.itemId(),
              summary: [],
              content: [],
              [field]: [text],
              ...times,
            });
        });
      }
      case 'token_count':
        return this.keep(true, () => {});
      case 'context_compacted':
        return this.keep(true, (at) =>
          this.push(this.ensureTurn(at), {
            type: 'contextCompaction',
            id: this.itemId(),
            ...times,
          }),
        );
      case 'entered_review_mode':
        return this.keep(true, (at) => {
          const review = str(p['user_facing_hint']) ? p['user_facing_hint'] : 'Review requested.';
          this.push(this.ensureTurn(at), {
            type: 'enteredReviewMode',
            id: this.itemId(),
            review,
            ...times,
          });
        });
      case 'exited_review_mode':
        return this.keep(true, (at) => {
          const out = p['review_output'];
          const explanation =
            isObj(out) && str(out['overall_explanation']) ? out['overall_explanation'].trim() : '';
          const review = explanation || 'Reviewer failed to output a response.';
          this.push(this.ensureTurn(at), {
            type: 'exitedReviewMode',
            id: this.itemId(),
            review,
            ...times,
          });
        });
      case 'patch_apply_end': {
        const changes = fileChanges(p['changes']);
        const ok =
          str(p['call_id']) &&
          changes !== null &&
          str(p['status']) &&
          PATCH_STATUSES.has(p['status']);
        return this.keep(ok, (at) => {
          const item = {
            type: 'fileChange',
            id: p['call_id'] as string,
            changes: changes!,
            status: p['status'],
            ...times,
          };
          const turnId = str(p['turn_id']) ? p['turn_id'] : '';
          if (turnId === '') this.upsert(this.ensureTurn(at), item);
          else this.upsertInTurn(turnId, item);
        });
      }
      case 'mcp_tool_call_end': {
        const inv = p['invocation'];
        const result = p['result'];
        const ok =
          str(p['call_id']) &&
          isObj(inv) &&
          str(inv['server']) &&
          str(inv['tool']) &&
          durationMs(p['duration']) !== null &&
          isObj(result) &&
          (isObj(result['Ok']) || str(result['Err']));
        return this.keep(ok, (at) => {
          const r = p['result'] as Obj;
          const success = isObj(r['Ok']) && r['Ok']['isError'] !== true;
          const okValue = isObj(r['Ok']) ? r['Ok'] : null;
          const i = inv as Obj;
          this.upsert(this.ensureTurn(at), {
            type: 'mcpToolCall',
            id: p['call_id'] as string,
            server: i['server'],
            tool: i['tool'],
            status: success ? 'completed' : 'failed',
            arguments: i['arguments'] ?? null,
            appContext: null,
            mcpAppUi: null,
            pluginId: null,
            readOnlyHint: null,
            result: okValue
              ? {
                  content: Array.isArray(okValue['content']) ? okValue['content'] : [],
                  structuredContent: okValue['structuredContent'] ?? null,
                  _meta: okValue['_meta'] ?? null,
                }
              : null,
            error: okValue ? null : { message: r['Err'] as string },
            durationMs: durationMs(p['duration']),
            ...times,
          });
        });
      }
      case 'web_search_end': {
        const action = webSearchAction(p['action']);
        return this.keep(str(p['call_id']) && str(p['query']) && action !== null, (at) => {
          this.upsert(this.ensureTurn(at), {
            type: 'webSearch',
            id: p['call_id'] as string,
            query: p['query'],
            action,
            results: null,
            ...times,
          });
        });
      }
      case 'item_completed': {
        const item = p['item'];
        const ok =
          str(p['thread_id']) &&
          UUID.test(p['thread_id']) &&
          str(p['turn_id']) &&
          isObj(item) &&
          str(item['type']) &&
          TURN_ITEM_TYPES.has(item['type']);
        return this.keep(ok, () => {
          const it = item as Obj;
          if (it['type'] !== 'Plan' || !str(it['id']) || !str(it['text']) || it['text'] === '')
            return;
          this.upsertInTurn(p['turn_id'] as string, {
            type: 'plan',
            id: it['id'],
            text: it['text'],
            ...times,
          });
        });
      }
      case 'task_started':
        return this.keep(str(p['turn_id']), () => {
          this.finishCurrent();
          this.current = {
            ...this.newTurn(p['turn_id'] as string),
            status: 'inProgress',
            explicit: true,
            startedAt: int(p['started_at']),
          };
        });
      case 'task_complete':
        return this.keep(str(p['turn_id']), () => {
          const close = (t: Pending) => {
            if (t.status === 'completed' || t.status === 'inProgress') t.status = 'completed';
            this.stamp(t, p);
          };
          const id = p['turn_id'] as string;
          const done = this.turns.find((t) => t.id === id);
          if (this.current && this.current.id === id) {
            close(this.current);
            this.finishCurrent();
          } else if (done) close(done);
          else if (this.current) {
            close(this.current);
            this.finishCurrent();
          }
        });
      case 'turn_aborted':
        return this.keep(true, () => {
          const id = strOrNull(p['turn_id']);
          const target =
            (id !== null && this.current?.id === id ? this.current : undefined) ??
            (id !== null ? this.turns.find((t) => t.id === id) : undefined) ??
            this.current;
          if (!target) return;
          target.status = 'interrupted';
          this.stamp(target, p);
          if (target === this.current) this.finishCurrent(); // measured: what follows opens a new turn
        });
      case 'thread_rolled_back':
        return this.keep(int(p['num_turns']) !== null && (p['num_turns'] as number) >= 0, () => {
          this.finishCurrent();
          const n = int(p['num_turns'])!;
          this.turns.splice(Math.max(0, this.turns.length - n));
          this.nextItem = this.turns.reduce((s, t) => s + t.items.length, 0) + 1;
        });
      default:
        return false;
    }
  }

  private stamp(t: Pending, p: Obj): void {
    const completed = int(p['completed_at']);
    const duration = int(p['duration_ms']);
    if (completed !== null) t.completedAt = completed;
    if (duration !== null) t.durationMs = duration;
  }

  private newTurn(id: string): Pending {
    return {
      id,
      items: [],
      status: 'completed',
      startedAt: null,
      completedAt: null,
      durationMs: null,
      explicit: false,
      sawCompaction: false,
    };
  }

  private ensureTurn(at: number): Pending {
    this.current ??= this.newTurn(`rollout-${at}`);
    return this.current;
  }

  private itemId(): string {
    return `item-${this.nextItem++}`;
  }

  private push(turn: Pending, item: WireItem): void {
    turn.items.push(item);
    this.items++;
  }

  private upsert(turn: Pending, item: WireItem): void {
    const i = turn.items.findIndex((x) => x.id === item.id);
    if (i >= 0) turn.items[i] = item;
    else this.push(turn, item);
  }

  /** An item that names its turn goes to that turn, or nowhere if the turn is unknown (as Codex). */
  private upsertInTurn(turnId: string, item: WireItem): void {
    const turn =
      this.current?.id === turnId ? this.current : this.turns.find((t) => t.id === turnId);
    if (turn) this.upsert(turn, item);
  }

  private finishCurrent(): void {
    const t = this.current;
    this.current = null;
    if (!t || (t.items.length === 0 && !t.explicit && !t.sawCompaction)) return;
    this.turns.push(t);
  }

  /** The turns; one still open is `interrupted` (nothing is running it). */
  finish(): WireTurn[] {
    this.finishCurrent();
    return this.turns.map((t) => ({
      id: t.id,
      rootTurnId: null,
      items: t.items,
      itemsView: 'full',
      status: t.status === 'inProgress' ? 'interrupted' : t.status,
      error: null,
      startedAt: t.startedAt,
      completedAt: t.completedAt,
      durationMs: t.durationMs,
    }));
  }
}

export type TurnLimits = {
  /** Bytes of the rollout read at most; what lies beyond is not read. */
  readonly maxBytes: number;
  /** Items built at most; reading stops there. */
  readonly maxItems: number;
};
export const DEFAULT_TURN_LIMITS: TurnLimits = { maxBytes: 32 * 1024 * 1024, maxItems: 10_000 };

export type RolloutTurns = { turns: WireTurn[]; mtimeMs: number; truncated: boolean };

export { NotARegularFile };

/**
 * Reads a rollout line by line into turns, bounded: at most `maxBytes` of the file and
 * `maxItems` items (then `truncated`). Opens with O_NOFOLLOW and reads only a regular file: a
 * symlink or anything else is refused (NotARegularFile). Lines that are not JSON are skipped.
 */
export const readRolloutTurns = async (
  path: string,
  limits: TurnLimits = DEFAULT_TURN_LIMITS,
): Promise<RolloutTurns> => {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP')
      throw new NotARegularFile(`${path} is a symbolic link`);
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new NotARegularFile(`${path} is not a regular file`);
    const builder = new TurnBuilder();
    let truncated = st.size > limits.maxBytes;
    const stream = handle.createReadStream({
      start: 0,
      end: Math.max(0, Math.min(st.size, limits.maxBytes) - 1),
      autoClose: false,
      encoding: 'utf8',
    });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (builder.items >= limits.maxItems) {
          truncated = true;
          break;
        }
        if (line.trim() === '') continue;
        // A torn or foreign line is skipped, as Codex skips it; so is one nested deeper than the
        // limit (its value would reach the answer, and everything recursive on the way).
        const parsed = parseBoundedJson(line, MAX_FILE_LINE_DEPTH);
        if (!parsed.ok) continue;
        builder.handle(parsed.value);
      }
    } finally {
      lines.close();
      stream.destroy();
    }
    return { turns: builder.finish(), mtimeMs: st.mtimeMs, truncated };
  } finally {
    await handle.close();
  }
};
