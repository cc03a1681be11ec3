import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import {
  DestroyAnswer,
  KeysAnswer,
  keyServicePaths,
  MAX_IDS_PER_REQUEST,
  MIN_KEY_SERVICE_TOKEN,
} from './keyServiceWire.js';
import { type KeyStore, KeyStoreUnavailableError } from './keyStore.js';
import { onePerTurn } from './onePerTurn.js';

/** PEM material: the CA the peer's certificate must chain to, and our own certificate (mTLS). */
export type KeyServiceTls = { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };

export type KeyServiceClientOptions = {
  /** `https://keys.internal:8090` (or `http://` on a trusted network / loopback). */
  readonly url: string;
  readonly token: string;
  readonly tls?: KeyServiceTls;
  readonly timeoutMs?: number;
  /** Attempts for an unreachable or unavailable service; every call is idempotent. */
  readonly attempts?: number;
};

const KEY_BYTES = 32;

/**
 * The key store of every instance of a scaled-out deployment: the key service, which owns the one
 * SQLite key store. Nothing is cached here: a key is fetched for the append or the batch that needs
 * it and dropped, so once the service destroys a key no instance can open that thread's content.
 */
export class KeyServiceClient implements KeyStore {
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;
  private readonly ensureAll = onePerTurn((ids) => this.keysOf(keyServicePaths.ensure, ids));

  constructor(private readonly o: KeyServiceClientOptions) {
    this.base = new URL(o.url);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new Error(`the key service URL must be http:// or https://, got "${o.url}"`);
    }
    if (o.token.length < MIN_KEY_SERVICE_TOKEN) {
      throw new Error(`the key service token must be at least ${MIN_KEY_SERVICE_TOKEN} characters`);
    }
    const tls = this.base.protocol === 'https:';
    this.agent = tls
      ? new HttpsAgent({ keepAlive: true, ca: o.tls?.ca, cert: o.tls?.cert, key: o.tls?.key })
      : new HttpAgent({ keepAlive: true });
    this.send = tls ? httpsRequest : httpRequest;
  }

  /**
   * Calls made in the same turn of the event loop share one request (concurrent commands each
   * need a key: one round trip for all of them, and one durable write on the service).
   */
  async ensure(threadIds: readonly string[]): Promise<Map<string, Buffer>> {
    if (threadIds.length === 0) return new Map();
    const keys = await this.ensureAll(threadIds);
    return new Map(threadIds.flatMap((id) => (keys.has(id) ? [[id, keys.get(id)!]] : [])));
  }

  async getMany(threadIds: Iterable<string>): Promise<Map<string, Buffer>> {
    return this.keysOf(keyServicePaths.read, threadIds);
  }

  async destroy(threadIds: readonly string[]): Promise<{ destroyed: string[]; absent: string[] }> {
    const out = { destroyed: [] as string[], absent: [] as string[] };
    for (const chunk of chunks(threadIds)) {
      const r = await this.post(keyServicePaths.destroy, chunk, DestroyAnswer);
      out.destroyed.push(...r.destroyed);
      out.absent.push(...r.absent);
    }
    return out;
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private async keysOf(path: string, threadIds: Iterable<string>): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const chunk of chunks(threadIds)) {
      const r = await this.post(path, chunk, KeysAnswer);
      for (const [id, b64] of Object.entries(r.keys)) {
        const key = Buffer.from(b64, 'base64');
        if (key.length !== KEY_BYTES)
          throw new Error(`the key service answered a key of ${key.length} bytes for thread ${id}`);
        out.set(id, key);
      }
    }
    return out;
  }

  private async post<A>(
    path: string,
    threadIds: string[],
    answer: t.Decoder<unknown, A>,
  ): Promise<A> {
    const attempts = this.o.attempts ?? 4;
    for (let attempt = 1; ; attempt++) {
      try {
        const { status, body } = await this.postOnce(path, JSON.stringify({ threadIds }));
        if (status === 200) {
          const decoded = answer.decode(JSON.parse(body));
          if (E.isLeft(decoded))
            throw new Error(
              `the key service's answer to ${path} is not valid: ${PathReporter.report(decoded).join('; ')}`,
            );
          return decoded.right;
        }
        const detail = problemDetail(body);
        if (status < 500) throw new Error(`the key service refused ${path} (${status}): ${detail}`);
        throw new KeyStoreUnavailableError(`the key service failed ${path} (${status}): ${detail}`);
      } catch (err) {
        const retryable = err instanceof KeyStoreUnavailableError;
        if (!retryable || attempt >= attempts) throw err;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  private postOnce(path: string, payload: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = this.send(
        new URL(path, this.base),
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.o.timeoutMs ?? 10_000,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            authorization: `Bearer ${this.o.token}`,
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }),
          );
          res.on('error', (err) =>
            reject(
              new KeyStoreUnavailableError(`the key service's answer broke off: ${err.message}`),
            ),
          );
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`no answer within ${this.o.timeoutMs ?? 10_000} ms`)),
      );
      req.on('error', (err) =>
        reject(
          new KeyStoreUnavailableError(
            `the key service at ${this.base.origin} cannot be reached: ${err.message}`,
          ),
        ),
      );
      req.end(payload);
    });
  }
}

function* chunks(ids: Iterable<string>): Generator<string[]> {
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += MAX_IDS_PER_REQUEST)
    yield unique.slice(i, i + MAX_IDS_PER_REQUEST);
}

const problemDetail = (body: string): string => {
  try {
    const p = JSON.parse(body) as { detail?: unknown };
    return typeof p.detail === 'string' ? p.detail : body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
};
