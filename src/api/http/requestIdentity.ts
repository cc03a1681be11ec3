import { createHash } from 'node:crypto';
import { contentFields } from '../../domain/events.js';

const CONTENT = new Set<string>(Object.values(contentFields).flat() as string[]);

/** Query parameters that say how to answer, not what to do: a retry may change them. */
const HOW_TO_ANSWER = new Set(['wait']);

/** JSON with object keys sorted: the same body is the same text whatever its key order. */
const canonical = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(canonical).join(',')}]`
    : v !== null && typeof v === 'object'
      ? `{${Object.keys(v)
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(v ?? null);

/**
 * What makes two requests under one Idempotency-Key the same request: method, path, the query
 * parameters that change what is done, and the body (canonical JSON), as a digest.
 * `content: false` leaves the content fields (names, previews) out: that digest goes into the
 * log with the events, where a hash of a name would outlive its shredding.
 */
export const requestIdentity = (method: string, url: string, body: unknown, opts: { content: boolean }): string => {
  const u = new URL(url, 'http://request');
  const query = [...u.searchParams].filter(([k]) => !HOW_TO_ANSWER.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const kept =
    !opts.content && body !== null && typeof body === 'object'
      ? Object.fromEntries(Object.entries(body).filter(([k]) => !CONTENT.has(k)))
      : body;
  const digest = createHash('sha256').update(`${canonical(query)}\n${canonical(kept)}`).digest('base64url').slice(0, 22);
  return `${method} ${u.pathname} ${digest}`;
};
