import { int, isObj, type Obj, str, strOrNull } from './payloadValues.js';
import {
  agentMessageItem,
  contextCompactionItem,
  enteredReviewModeItem,
  exitedReviewModeItem,
  fileChangeItem,
  mcpToolCallItem,
  planItem,
  reasoningItem,
  userInputs,
  userMessageItem,
  type WireItem,
  webSearchItem,
} from './turnItems.js';

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

/** Which `response_item`s, `turn_context`s and completed turn items Codex keeps when it loads a rollout. */
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

/** Rollout lines in, `thread/read` turns out: feed it every line in order (`handle`), then `finish`. */
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
          this.push(this.current, userMessageItem(this.itemId(), p, content!));
        });
      }
      case 'agent_message':
        return this.keep(str(p['message']), (at) => {
          const text = p['message'] as string;
          if (text === '') return;
          this.push(this.ensureTurn(at), agentMessageItem(this.itemId(), text, p));
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
          else this.push(turn, reasoningItem(this.itemId(), field, text));
        });
      }
      case 'token_count':
        return this.keep(true, () => {});
      case 'context_compacted':
        return this.keep(true, (at) =>
          this.push(this.ensureTurn(at), contextCompactionItem(this.itemId())),
        );
      case 'entered_review_mode':
        return this.keep(true, (at) =>
          this.push(this.ensureTurn(at), enteredReviewModeItem(this.itemId(), p)),
        );
      case 'exited_review_mode':
        return this.keep(true, (at) =>
          this.push(this.ensureTurn(at), exitedReviewModeItem(this.itemId(), p)),
        );
      case 'patch_apply_end': {
        const item = fileChangeItem(p);
        return this.keep(item !== null, (at) => {
          const turnId = str(p['turn_id']) ? p['turn_id'] : '';
          if (turnId === '') this.upsert(this.ensureTurn(at), item!);
          else this.upsertInTurn(turnId, item!);
        });
      }
      case 'mcp_tool_call_end': {
        const item = mcpToolCallItem(p);
        return this.keep(item !== null, (at) => this.upsert(this.ensureTurn(at), item!));
      }
      case 'web_search_end': {
        const item = webSearchItem(p);
        return this.keep(item !== null, (at) => this.upsert(this.ensureTurn(at), item!));
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
          const plan = planItem(item as Obj);
          if (plan) this.upsertInTurn(p['turn_id'] as string, plan);
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
