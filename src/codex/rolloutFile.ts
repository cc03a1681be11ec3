import { closeSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import type { CodexThreadMeta, ThreadStarted as Started } from '../domain/events.js';
import { ThreadId } from '../domain/ids.js';
import { MAX_FILE_LINE_DEPTH, parseBoundedJson } from '../io/boundedJson.js';
import { headLinesSync } from '../io/fileText.js';
import { NotARegularFile, openRegularSync } from '../io/regularFile.js';
import { invalidSpawn, sourceKindOf, sourceOnWire } from './sessionSource.js';

const opt = <C extends t.Mixed>(c: C) => t.union([c, t.null, t.undefined]);

/** `session_meta.payload` as Codex writes it (snake_case); unknown fields are ignored. */
const SessionMeta = t.intersection([
  t.type({ id: ThreadId, timestamp: t.string, cwd: t.string }),
  t.partial({
    originator: opt(t.string),
    cli_version: opt(t.string),
    source: t.unknown,
    model_provider: opt(t.string),
    forked_from_id: opt(t.string),
    parent_thread_id: opt(t.string),
    thread_source: opt(t.string),
    agent_nickname: opt(t.string),
    agent_role: opt(t.string),
    git: opt(
      t.partial({
        commit_hash: opt(t.string),
        branch: opt(t.string),
        repository_url: opt(t.string),
      }),
    ),
  }),
]);
type SessionMeta = t.TypeOf<typeof SessionMeta>;

/** What a rollout says about its thread: the `ThreadStarted` payload it imports as. */
export type RolloutInfo = { readonly started: Started; readonly spawnDepth: number | null };

const previewOf = (line: { type?: unknown; payload?: unknown }): string | null => {
  const p = line.payload as Record<string, unknown> | undefined;
  if (!p) return null;
  if (line.type === 'event_msg' && p['type'] === 'user_message' && typeof p['message'] === 'string')
    return p['message'];
  if (
    line.type === 'response_item' &&
    p['type'] === 'message' &&
    p['role'] === 'user' &&
    Array.isArray(p['content'])
  ) {
    const text = (p['content'] as { type?: unknown; text?: unknown }[]).find(
      (c) => c.type === 'input_text' && typeof c.text === 'string',
    );
    return (text?.text as string | undefined) ?? null;
  }
  return null;
};

const toStarted = (m: SessionMeta, path: string, preview: string | null): RolloutInfo => {
  const source = sourceOnWire(m.source);
  const spawn =
    typeof source === 'object' &&
    'subAgent' in source &&
    typeof source.subAgent === 'object' &&
    'thread_spawn' in source.subAgent
      ? source.subAgent.thread_spawn
      : null;
  const parent = spawn?.parent_thread_id ?? m.parent_thread_id ?? null;
  const codex: CodexThreadMeta = {
    source,
    forkedFromId: m.forked_from_id ?? null,
    agentNickname: m.agent_nickname ?? spawn?.agent_nickname ?? null,
    agentRole: m.agent_role ?? spawn?.agent_role ?? null,
    threadSource: m.thread_source ?? null,
  };
  const createdAtMs = Date.parse(m.timestamp);
  return {
    spawnDepth: spawn ? spawn.depth : null,
    started: {
      threadId: m.id,
      sessionId: m.id,
      parentThreadId: parent !== null && ThreadId.is(parent) ? parent : null,
      depth: (spawn?.depth ?? 0) as Started['depth'],
      sourceKind: sourceKindOf(source),
      cwd: m.cwd,
      modelProvider: m.model_provider ?? 'openai',
      originator: m.originator ?? null,
      cliVersion: m.cli_version ?? null,
      gitInfo: m.git
        ? {
            sha: m.git.commit_hash ?? null,
            branch: m.git.branch ?? null,
            originUrl: m.git.repository_url ?? null,
          }
        : null,
      createdAtMs: Number.isFinite(createdAtMs) ? createdAtMs : 0,
      rolloutPath: path,
      preview,
      name: null,
      updatedAtMs: null,
      codex,
    },
  };
};

/** A reason as a skip reports it: the values it quotes are cut short. */
const clip = (s: string, max = 1000): string =>
  s.length > max ? `${s.slice(0, max)}… (${s.length} characters)` : s;

/** How far into a rollout to look for the first user message: lines, and bytes. */
const PREVIEW_LINES = 200;
export const ROLLOUT_HEAD_MAX_BYTES = 8 * 1024 * 1024;
/**
 * Read at a time: a session_meta (with Codex's base instructions) and a first message fit in one;
 * a smaller file is read whole in one read (its size and one byte more, to see its end).
 */
const headChunkBytes = (size: number): number => Math.max(4096, Math.min(size + 1, 64 * 1024));

/**
 * Reads the head of a rollout: its `session_meta` (first line) and its first user message, at most
 * PREVIEW_LINES lines and ROLLOUT_HEAD_MAX_BYTES bytes of it. A missing or malformed
 * `session_meta` is an error that names the file and the problem; the rest of the file is never
 * required (a rollout being written may end mid-line). Only a regular file is read (opened
 * without following a symlink, without blocking on a FIFO, checked with fstat), through one
 * descriptor, closed before this returns. A line nested deeper than MAX_FILE_LINE_DEPTH is not
 * parsed: the first one makes the rollout an error, a later one is passed over. Synchronous: a
 * rollout's head is a read or two of a file in the page cache, cheaper than an asynchronous
 * read's round trip through the thread pool; the caller yields to the event loop between batches.
 */
export const readRollout = (path: string): E.Either<string, RolloutInfo> => {
  let fd: number;
  let size: number;
  try {
    const opened = openRegularSync(path);
    fd = opened.fd;
    size = opened.stat.size;
  } catch (err) {
    return E.left(
      err instanceof NotARegularFile
        ? `${err.message}: not read`
        : `${path}: ${(err as Error).message}`,
    );
  }
  let meta: SessionMeta | null = null;
  let n = 0;
  try {
    for (const raw of headLinesSync(fd, ROLLOUT_HEAD_MAX_BYTES, headChunkBytes(size))) {
      n++;
      const parsed = parseBoundedJson(raw, MAX_FILE_LINE_DEPTH);
      if (!parsed.ok) {
        if (n === 1)
          return E.left(
            `${path}: first line is not JSON${parsed.reason === 'too-deep' ? ` (${parsed.message})` : ''}`,
          );
        if (n >= PREVIEW_LINES) break;
        continue; // a later line being written, or damaged: the head is what matters
      }
      const line = (
        typeof parsed.value === 'object' && parsed.value !== null ? parsed.value : {}
      ) as { type?: unknown; payload?: unknown };
      if (n === 1) {
        if (line.type !== 'session_meta')
          return E.left(`${path}: first line is not a session_meta record`);
        const m = SessionMeta.decode(line.payload);
        if (E.isLeft(m))
          return E.left(
            `${path}: invalid session_meta: ${clip(PathReporter.report(m).join('; '))}`,
          );
        const spawn = invalidSpawn(m.right.source);
        if (spawn !== null) return E.left(`${path}: invalid session_meta: ${spawn}`);
        meta = m.right;
        continue;
      }
      const preview = previewOf(line);
      if (preview !== null) return E.right(toStarted(meta!, path, preview));
      if (n >= PREVIEW_LINES) break;
    }
  } catch (err) {
    return E.left(`${path}: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
  if (meta) return E.right(toStarted(meta, path, null));
  return E.left(
    n === 0 && size >= ROLLOUT_HEAD_MAX_BYTES
      ? `${path}: first line longer than ${ROLLOUT_HEAD_MAX_BYTES} bytes`
      : `${path}: empty rollout`,
  );
};
