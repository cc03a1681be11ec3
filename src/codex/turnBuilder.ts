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
  webSearchItem,
} from './turnItems.js';
import { type Turn, TurnList, type WireTurn } from './turnList.js';

/**
 * The `turns` of `thread/read` with `includeTurns: true`, built from a rollout's lines the way
 * `codex app-server` 0.169.0 builds them (measured side by side, see test/codex/sideBySide.e2e.spec.ts):
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
  private readonly turns = new TurnList();
  /** Position of the next kept line (session_meta is 0). */
  private position = 0;

  /** Items created so far (an update of an existing item does not count). */
  get items(): number {
    return this.turns.items;
  }

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
          this.turns.ensure(at).sawCompaction = true;
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
          const cur = this.turns.current;
          if (cur && !cur.explicit && !(cur.sawCompaction && cur.items.length === 0))
            this.turns.closeCurrent();
          this.turns.push(this.turns.ensure(at), userMessageItem(this.turns.itemId(), p, content!));
        });
      }
      case 'agent_message':
        return this.keep(str(p['message']), (at) => {
          const text = p['message'] as string;
          if (text === '') return;
          this.turns.push(this.turns.ensure(at), agentMessageItem(this.turns.itemId(), text, p));
        });
      case 'agent_reasoning':
      case 'agent_reasoning_raw_content': {
        const field = p['type'] === 'agent_reasoning' ? 'summary' : 'content';
        return this.keep(str(p['text']), (at) => {
          const text = p['text'] as string;
          if (text === '') return;
          const turn = this.turns.ensure(at);
          const last = turn.items[turn.items.length - 1];
          if (last?.type === 'reasoning') (last[field] as string[]).push(text);
          else this.turns.push(turn, reasoningItem(this.turns.itemId(), field, text));
        });
      }
      case 'token_count':
        return this.keep(true, () => {});
      case 'context_compacted':
        return this.keep(true, (at) =>
          this.turns.push(this.turns.ensure(at), contextCompactionItem(this.turns.itemId())),
        );
      case 'entered_review_mode':
        return this.keep(true, (at) =>
          this.turns.push(this.turns.ensure(at), enteredReviewModeItem(this.turns.itemId(), p)),
        );
      case 'exited_review_mode':
        return this.keep(true, (at) =>
          this.turns.push(this.turns.ensure(at), exitedReviewModeItem(this.turns.itemId(), p)),
        );
      case 'patch_apply_end': {
        const item = fileChangeItem(p);
        return this.keep(item !== null, (at) => {
          const turnId = str(p['turn_id']) ? p['turn_id'] : '';
          if (turnId === '') this.turns.upsert(this.turns.ensure(at), item!);
          else this.turns.upsertInTurn(turnId, item!);
        });
      }
      case 'mcp_tool_call_end': {
        const item = mcpToolCallItem(p);
        return this.keep(item !== null, (at) => this.turns.upsert(this.turns.ensure(at), item!));
      }
      case 'web_search_end': {
        const item = webSearchItem(p);
        return this.keep(item !== null, (at) => this.turns.upsert(this.turns.ensure(at), item!));
      }
      case 'item_completed': {
        const item = p['item'];
        const wellFormed =
          str(p['thread_id']) &&
          UUID.test(p['thread_id']) &&
          str(p['turn_id']) &&
          isObj(item) &&
          str(item['type']) &&
          TURN_ITEM_TYPES.has(item['type']);
        return this.keep(wellFormed, () => {
          const plan = planItem(item as Obj);
          if (plan) this.turns.upsertInTurn(p['turn_id'] as string, plan);
        });
      }
      case 'task_started':
        return this.keep(str(p['turn_id']), () => {
          this.turns.openExplicit(p['turn_id'] as string, int(p['started_at']));
        });
      case 'task_complete':
        return this.keep(str(p['turn_id']), () => {
          const close = (t: Turn) => {
            if (t.status === 'completed' || t.status === 'inProgress') t.status = 'completed';
            this.stamp(t, p);
          };
          const id = p['turn_id'] as string;
          const current = this.turns.current;
          const done = this.turns.findClosed(id);
          if (current && current.id === id) {
            close(current);
            this.turns.closeCurrent();
          } else if (done) close(done);
          else if (current) {
            close(current);
            this.turns.closeCurrent();
          }
        });
      case 'turn_aborted':
        return this.keep(true, () => {
          const id = strOrNull(p['turn_id']);
          const target = (id !== null ? this.turns.find(id) : undefined) ?? this.turns.current;
          if (!target) return;
          target.status = 'interrupted';
          this.stamp(target, p);
          if (target === this.turns.current) this.turns.closeCurrent(); // measured: what follows opens a new turn
        });
      case 'thread_rolled_back':
        return this.keep(int(p['num_turns']) !== null && (p['num_turns'] as number) >= 0, () => {
          this.turns.rollBack(int(p['num_turns'])!);
        });
      default:
        return false;
    }
  }

  private stamp(t: Turn, p: Obj): void {
    const completed = int(p['completed_at']);
    const duration = int(p['duration_ms']);
    if (completed !== null) t.completedAt = completed;
    if (duration !== null) t.durationMs = duration;
  }

  /** The turns; one still open is `interrupted` (nothing is running it). */
  finish(): WireTurn[] {
    return this.turns.finish();
  }
}
