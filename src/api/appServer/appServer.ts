import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { HandleError } from '../../app/handleError.js';
import type { Ledger } from '../../app/ledger.js';
import { CodexConfig } from '../../codex/codexConfig.js';
import type { CodexThreads } from '../../codex/codexThreads.js';
import type { HomeImport } from '../../codex/homeRefresh.js';
import {
  DEFAULT_TURN_LIMITS,
  NotARegularFile,
  readRolloutTurns,
  type TurnLimits,
} from '../../codex/rolloutTurns.js';
import type { ModelProviderSource } from '../../codex/watchedConfig.js';
import { ThreadId } from '../../domain/ids.js';
import type { CommandContext } from '../../domain/metadata.js';
import { EMPTY_NAME } from '../../domain/threadDecider.js';
import { MAX_MESSAGE_BYTES, MAX_REQUEST_DEPTH, parseBoundedJson } from '../../io/boundedJson.js';
import {
  type ListError,
  listThreadRevisions,
  type Page,
  type ThreadRevision,
  threadRows,
} from '../../projections/threadListQuery.js';
import { JsonText, jsonArrayParts } from './jsonText.js';
import {
  describeBadThreadId,
  describeParamsError,
  INTERNAL_ERROR,
  INVALID_REQUEST,
  invalidParams,
  invalidRequest,
  notFound,
  PARSE_ERROR,
  RpcError,
} from './rpcErrors.js';
import {
  InitializeParams,
  RpcMessage,
  ThreadIdParams,
  ThreadListParams,
  ThreadReadParams,
  ThreadSetNameParams,
} from './rpcParams.js';
import { threadOnWire } from './threadWire.js';
import { type ThreadWireCache, threadWireCacheOf } from './threadWireCache.js';

type Send = (message: object) => void;

/**
 * A message as one line of JSON, for any transport. An answer that cannot be written as JSON (it
 * never should: every input is bounded) becomes an internal error naming its id, never a throw.
 */
export const encodeMessage = (m: object): string => {
  try {
    const { id, result } = m as { id?: unknown; result?: unknown };
    if (result instanceof JsonText) return `{"id":${JSON.stringify(id)},"result":${result.text}}`;
    return JSON.stringify(m);
  } catch (err) {
    const given = (m as { id?: unknown }).id;
    const id = typeof given === 'string' || typeof given === 'number' ? given : null;
    return JSON.stringify({
      id,
      error: {
        code: INTERNAL_ERROR,
        message: `Internal error: the answer cannot be written as JSON (${(err as Error).message})`,
      },
    });
  }
};

/**
 * A message as one line, for a byte stream (stdio): a result already written as JSON goes out as
 * its bytes, copied once; any other message as `encodeMessage` writes it.
 */
export const encodeLine = (m: object): string | Buffer => {
  const { id, result } = m as { id?: unknown; result?: unknown };
  if (!(result instanceof JsonText)) return `${encodeMessage(m)}\n`;
  const head = `{"id":${JSON.stringify(id ?? null)},"result":`;
  // Joined by hand, not by Buffer.concat: V8 took 10 ms to optimize concat (and 5.6 ms on the main
  // thread to install this function with it inlined), inside one of the first hundred lists.
  let length = Buffer.byteLength(head) + CLOSE_LINE.length;
  for (const part of result.parts) length += part.length;
  const line = Buffer.allocUnsafe(length);
  let at = line.write(head);
  for (const part of result.parts) {
    line.set(part, at);
    at += part.length;
  }
  line.set(CLOSE_LINE, at);
  return line;
};
const CLOSE_LINE = Buffer.from('}\n');

export type AppServerOptions = {
  readonly ledger: Ledger;
  readonly threads: CodexThreads;
  /**
   * What Codex wrote meanwhile, imported before each list and delete (a HomeRefresh: only when the
   * home changed); null for a ledger with no Codex home behind it.
   */
  readonly importer: HomeImport | null;
  readonly codexHome: string | null;
  /** Where the configured model provider comes from; by default the home's config.toml, read each time. */
  readonly config?: ModelProviderSource;
  /** The answers to this client. */
  readonly send: Send;
  /** Notifications: to this client alone (stdio) or to every connected client (WebSocket). */
  readonly notify: Send;
  /** Refuses a method this client may not call (throws an RpcError). */
  readonly authorize?: (method: string) => void;
  /** Recorded as the actor of every event this client causes. */
  readonly actor?: string;
  readonly version: string;
  /** Bounds on reading a rollout for `thread/read` with `includeTurns`. */
  readonly turnLimits?: TurnLimits;
  /**
   * Resolves once the transport can take another answer (its output is not congested); each
   * message waits for it before it is handled, so answers never pile up unsent.
   */
  readonly outputReady?: () => Promise<void> | undefined;
};

const METHODS = [
  'initialize',
  'thread/list',
  'thread/read',
  'thread/archive',
  'thread/unarchive',
  'thread/name/set',
  'thread/delete',
] as const;

const decodeParams = <A>(codec: t.Decoder<unknown, A>, params: unknown): A => {
  const r = codec.decode(params ?? {});
  if (E.isLeft(r)) throw invalidRequest(describeParamsError(r.left));
  return r.right;
};

const threadIdOf = (raw: string): ThreadId => {
  const id = raw.toLowerCase().replace(/^urn:uuid:/, '');
  if (!ThreadId.is(id)) throw invalidRequest(describeBadThreadId(raw));
  return id;
};

/**
 * The domain's refusal as Codex words it: an unknown, deleted or (for rename) archived thread is
 * "not found"; a value that cannot be recorded is -32602 naming the field.
 */
export const refusal = (e: HandleError, threadId: string): RpcError => {
  switch (e.kind) {
    case 'ThreadNotFound':
    case 'ThreadTombstoned':
    case 'AlreadyDeleted':
    case 'ThreadArchived':
    case 'AlreadyArchived':
    case 'NotArchived':
      return notFound(threadId);
    case 'InvalidName':
      // Empty, as Codex words it; too long, a documented limit: Invalid params naming the field.
      return e.reason === EMPTY_NAME
        ? invalidRequest('thread name must not be empty')
        : invalidParams([{ field: 'name', reason: e.reason }]);
    case 'UnrecordableEvent':
      return invalidParams(e.errors);
    case 'InvalidRolloutPath':
      return invalidParams([{ field: 'rolloutPath', reason: e.reason }]);
    default:
      return new RpcError(INTERNAL_ERROR, `thread ${threadId}: ${e.kind}`);
  }
};

/**
 * The thread lifecycle methods of `codex app-server`, over a ledger and a Codex home. Messages are
 * handled one at a time, in order; notifications go out before the response they belong to.
 */
export class AppServer {
  private queue: Promise<void> = Promise.resolve();

  private readonly ledger: Ledger;
  private readonly threads: CodexThreads;
  /** The Codex home's config.toml: its `model_provider` is `thread/list`'s default filter. */
  private readonly config: ModelProviderSource | null;
  /** Each listed thread's JSON, made again only when its row changed (the ledger's one cache). */
  private readonly wire: ThreadWireCache;
  /** A page of `thread/list`, each thread's JSON from the cache or made of its row. */
  private readonly listPage: (params: unknown) => E.Either<ListError, Page<Buffer>>;

  constructor(private readonly o: AppServerOptions) {
    this.ledger = o.ledger;
    this.threads = o.threads;
    this.config = o.config ?? (o.codexHome === null ? null : new CodexConfig(o.codexHome));
    this.wire = threadWireCacheOf(o.ledger);
    // A page of threads all kept needs one read. Otherwise the page and the rows of the threads
    // not kept are read again in one snapshot, so that their revs agree.
    const db = o.ledger.readDb;
    const inOneSnapshot = db.transaction((params: unknown) =>
      E.map((pg: Page<ThreadRevision>) => ({
        ...pg,
        rows: this.wire.page(pg.rows, (ids) => threadRows(db, ids)),
      }))(listThreadRevisions(db, params)),
    );
    this.listPage = (params) => {
      const page = listThreadRevisions(db, params);
      if (E.isLeft(page)) return page;
      const kept = this.wire.kept(page.right.rows);
      return kept === null ? inOneSnapshot(params) : E.right({ ...page.right, rows: kept });
    };
  }

  /**
   * One line of input. A malformed line gets an error answer and never ends the session. Resolves
   * once the line is answered (lines are handled one at a time, in order).
   */
  handleLine(line: string): Promise<void> {
    if (line.trim() === '') return this.queue;
    return this.enqueue(() => this.handle(line));
  }

  /** A message larger than MAX_MESSAGE_BYTES, which the transport did not keep: answered, in order. */
  refuseTooLarge(bytes: number): Promise<void> {
    return this.enqueue(async () => this.refuseTooLargeNow(bytes));
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.queue = this.queue
      .then(async () => {
        await this.o.outputReady?.();
        await work();
      })
      .catch((err: unknown) => {
        // Nothing a message holds may end the session: what escaped is answered as an internal error.
        this.send(null, {
          error: {
            code: INTERNAL_ERROR,
            message: `Internal error: ${(err as Error)?.message ?? String(err)}`,
          },
        });
      });
    return this.queue;
  }

  private send(
    id: unknown,
    body: { result: unknown } | { error: { code: number; message: string } },
  ): void {
    this.o.send({ id, ...body });
  }

  private async handle(line: string): Promise<void> {
    // Bounded before anything recursive (the parser's result, io-ts, the answer's JSON.stringify) sees it.
    const bytes = Buffer.byteLength(line, 'utf8');
    if (bytes > MAX_MESSAGE_BYTES) return this.refuseTooLargeNow(bytes);
    const parsed = parseBoundedJson(line, MAX_REQUEST_DEPTH);
    if (!parsed.ok) {
      if (parsed.reason === 'too-deep') {
        this.send(null, {
          error: { code: INVALID_REQUEST, message: `Invalid request: ${parsed.message}` },
        });
      } else {
        this.send(null, {
          error: { code: PARSE_ERROR, message: `Parse error: ${parsed.message}` },
        });
      }
      return;
    }
    const raw = parsed.value;
    const msg = RpcMessage.decode(raw);
    if (E.isLeft(msg)) {
      // The id is echoed only when it is one (a string, a number or null).
      const given =
        typeof raw === 'object' && raw !== null && !Array.isArray(raw)
          ? (raw as { id?: unknown }).id
          : null;
      const id = typeof given === 'string' || typeof given === 'number' ? given : null;
      this.send(id, { error: { code: INVALID_REQUEST, message: describeParamsError(msg.left) } });
      return;
    }
    const { id, method, params } = msg.right;
    if (id === undefined) return; // a notification (`initialized`): nothing to answer
    try {
      const ctx = {
        actor: this.o.actor ?? 'codex-client',
        requestId: String(id),
        causationId: null,
      };
      const result = await this.dispatch(method, params, ctx);
      this.send(id, { result });
    } catch (err) {
      const e =
        err instanceof RpcError
          ? err
          : new RpcError(INTERNAL_ERROR, (err as Error).message ?? String(err));
      this.send(id, { error: { code: e.code, message: e.message } });
    }
  }

  private refuseTooLargeNow(bytes: number): void {
    this.send(null, {
      error: {
        code: PARSE_ERROR,
        message: `Parse error: message of ${bytes} bytes exceeds the limit of ${MAX_MESSAGE_BYTES} bytes`,
      },
    });
  }

  private notify(method: string, params: object): void {
    this.o.notify({ method, params, emittedAtMs: Date.now() });
  }

  private async dispatch(method: string, params: unknown, ctx: CommandContext): Promise<object> {
    if ((METHODS as readonly string[]).includes(method)) this.o.authorize?.(method);
    switch (method) {
      case 'initialize': {
        decodeParams(InitializeParams, params);
        const platform = process.platform === 'darwin' ? 'macos' : process.platform;
        return {
          userAgent: `thread-ledger/${this.o.version}`,
          codexHome: this.o.codexHome,
          platformFamily: process.platform === 'win32' ? 'windows' : 'unix',
          platformOs: platform,
        };
      }
      case 'thread/list': {
        const p = decodeParams(ThreadListParams, params);
        // As Codex: no `modelProviders` means the configured provider's threads only; `[]` means every
        // provider. Without a Codex home (the WebSocket) there is no configured provider: every one.
        const modelProviders =
          p.modelProviders ?? (this.config ? [await this.config.modelProvider()] : null);
        await this.o.importer?.run(); // what Codex wrote meanwhile is listed now
        await this.ledger.runner.catchUp();
        const page = this.listPage({ ...p, modelProviders });
        if (E.isLeft(page)) {
          const { field, reason, message } = page.left;
          throw field
            ? invalidParams([{ field, reason: reason ?? message }])
            : invalidRequest(`Invalid request: ${message}`);
        }
        const { rows, nextCursor, backwardsCursor } = page.right;
        return new JsonText(
          jsonArrayParts(
            rows,
            '{"data":[',
            `],"nextCursor":${JSON.stringify(nextCursor)},"backwardsCursor":${JSON.stringify(backwardsCursor)}}`,
          ),
        );
      }
      case 'thread/read': {
        const p = decodeParams(ThreadReadParams, params);
        const threadId = threadIdOf(p.threadId);
        await this.ledger.runner.catchUp();
        const row = this.ledger.queries.thread(threadId);
        if (!row) throw notFound(threadId); // unknown, or deleted: a tombstoned thread has no row
        const thread = threadOnWire(row);
        // As Codex: `updatedAt` is the creation time, unless the rollout is read for the turns; then
        // it is the rollout's modification time, as `thread/list` answers it.
        if (!p.includeTurns) return { thread: { ...thread, updatedAt: thread.createdAt } };
        if (row.rollout_path === null) return { thread };
        let read;
        try {
          read = await readRolloutTurns(row.rollout_path, this.o.turnLimits ?? DEFAULT_TURN_LIMITS);
        } catch (err) {
          if (err instanceof NotARegularFile)
            throw new RpcError(INTERNAL_ERROR, `thread ${threadId}: ${err.message}`);
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(threadId);
          throw err;
        }
        // The thread may have been deleted while its rollout was read: serve nothing of it then.
        await this.ledger.runner.catchUp();
        if (!this.ledger.queries.thread(threadId)) throw notFound(threadId);
        const updatedAt = Math.floor(read.mtimeMs / 1000) as typeof thread.updatedAt;
        return { thread: { ...thread, updatedAt, turns: read.turns } };
      }
      case 'thread/archive':
      case 'thread/unarchive': {
        const threadId = threadIdOf(decodeParams(ThreadIdParams, params).threadId);
        const archive = method === 'thread/archive';
        const r = archive
          ? await this.threads.archive(threadId, ctx)
          : await this.threads.unarchive(threadId, ctx);
        if (E.isLeft(r)) throw refusal(r.left, threadId);
        for (const t of r.right.threadIds)
          this.notify(archive ? 'thread/archived' : 'thread/unarchived', { threadId: t });
        if (archive) return {};
        await this.ledger.runner.catchUp();
        return { thread: threadOnWire(this.ledger.queries.thread(threadId)!) };
      }
      case 'thread/name/set': {
        const p = decodeParams(ThreadSetNameParams, params);
        const threadId = threadIdOf(p.threadId);
        const r = await this.threads.rename(threadId, p.name, ctx);
        if (E.isLeft(r)) throw refusal(r.left, threadId);
        this.notify('thread/name/updated', { threadId, threadName: r.right });
        return {};
      }
      case 'thread/delete': {
        const threadId = threadIdOf(decodeParams(ThreadIdParams, params).threadId);
        // What Codex wrote meanwhile (a name in the index, a new child) is known before the cascade.
        await this.o.importer?.run();
        const r = await this.threads.delete(threadId, ctx);
        if (E.isLeft(r)) throw refusal(r.left, threadId);
        // The `thread/deleted` of every thread closed so far goes out (from the log) before the answer.
        await this.ledger.runner.catchUp();
        if (r.right.status !== 'deleted') {
          throw new RpcError(
            INTERNAL_ERROR,
            `thread ${threadId} is deleted but not yet purged: ${r.right.errors.join('; ') || 'steps pending'}. ` +
              'It stays hidden; the purge is retried in the background, and each thread is notified when it completes.',
          );
        }
        return {};
      }
      default:
        throw invalidRequest(
          `Invalid request: unknown variant \`${method}\`, expected one of ${METHODS.map((m) => `\`${m}\``).join(', ')}`,
        );
    }
  }
}
