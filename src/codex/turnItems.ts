import { durationMs, int, isObj, type Obj, str, strOrNull } from './payloadValues.js';

/**
 * The items of a turn, each as `codex app-server` 0.169.0 answers it, made from the payload of the
 * rollout line that records it. A mapper that can refuse a payload answers null: Codex does not
 * keep that line (see `turnBuilder.ts`).
 */

export type WireItem = { type: string; id: string } & Record<string, unknown>;

/** A rollout records no item times. */
const times = { startedAtMs: null, completedAtMs: null };

/** `user_message`'s inputs as UserInput[]; null when it has no message. */
export const userInputs = (p: Obj): Obj[] | null => {
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

export const userMessageItem = (id: string, p: Obj, content: Obj[]): WireItem => ({
  type: 'userMessage',
  id,
  clientId: strOrNull(p['client_id']),
  content,
  ...times,
});

export const agentMessageItem = (id: string, text: string, p: Obj): WireItem => ({
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

/** A reasoning item holding its first piece of summary or content (later pieces are appended). */
export const reasoningItem = (
  id: string,
  field: 'summary' | 'content',
  text: string,
): WireItem => ({
  type: 'reasoning',
  id,
  summary: [],
  content: [],
  [field]: [text],
  ...times,
});

export const contextCompactionItem = (id: string): WireItem => ({
  type: 'contextCompaction',
  id,
  ...times,
});

export const enteredReviewModeItem = (id: string, p: Obj): WireItem => ({
  type: 'enteredReviewMode',
  id,
  review: str(p['user_facing_hint']) ? p['user_facing_hint'] : 'Review requested.',
  ...times,
});

export const exitedReviewModeItem = (id: string, p: Obj): WireItem => {
  const out = p['review_output'];
  const explanation =
    isObj(out) && str(out['overall_explanation']) ? out['overall_explanation'].trim() : '';
  return {
    type: 'exitedReviewMode',
    id,
    review: explanation || 'Reviewer failed to output a response.',
    ...times,
  };
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

const PATCH_STATUSES = new Set(['completed', 'failed', 'declined']);

/** `patch_apply_end` as a fileChange item (its id is the call id); null if Codex would not keep it. */
export const fileChangeItem = (p: Obj): WireItem | null => {
  const changes = fileChanges(p['changes']);
  const wellFormed =
    str(p['call_id']) && changes !== null && str(p['status']) && PATCH_STATUSES.has(p['status']);
  if (!wellFormed) return null;
  return { type: 'fileChange', id: p['call_id'] as string, changes, status: p['status'], ...times };
};

/** `mcp_tool_call_end` as an mcpToolCall item (its id is the call id); null if Codex would not keep it. */
export const mcpToolCallItem = (p: Obj): WireItem | null => {
  const inv = p['invocation'];
  const r = p['result'];
  const duration = durationMs(p['duration']);
  const wellFormed =
    str(p['call_id']) &&
    isObj(inv) &&
    str(inv['server']) &&
    str(inv['tool']) &&
    duration !== null &&
    isObj(r) &&
    (isObj(r['Ok']) || str(r['Err']));
  if (!wellFormed) return null;
  const success = isObj(r['Ok']) && r['Ok']['isError'] !== true;
  const okValue = isObj(r['Ok']) ? r['Ok'] : null;
  return {
    type: 'mcpToolCall',
    id: p['call_id'] as string,
    server: inv['server'],
    tool: inv['tool'],
    status: success ? 'completed' : 'failed',
    arguments: inv['arguments'] ?? null,
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
    durationMs: duration,
    ...times,
  };
};

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

/** `web_search_end` as a webSearch item (its id is the call id); null if Codex would not keep it. */
export const webSearchItem = (p: Obj): WireItem | null => {
  const action = webSearchAction(p['action']);
  if (!str(p['call_id']) || !str(p['query']) || action === null) return null;
  return {
    type: 'webSearch',
    id: p['call_id'],
    query: p['query'],
    action,
    results: null,
    ...times,
  };
};

/** A completed `Plan` turn item with some text as a plan item; null for any other (kept, not shown). */
export const planItem = (item: Obj): WireItem | null =>
  item['type'] === 'Plan' && str(item['id']) && str(item['text']) && item['text'] !== ''
    ? { type: 'plan', id: item['id'], text: item['text'], ...times }
    : null;
