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

/** The method, path and query parameters that change what is done, and the body: canonical text. */
const requestParts = (
  method: string,
  url: string,
  body: unknown,
): { method: string; path: string; query: string; body: string } => {
  const u = new URL(url, 'http://request');
  const query = [...u.searchParams]
    .filter(([k]) => !HOW_TO_ANSWER.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { method, path: u.pathname, query: canonical(query), body: canonical(body) };
};

/**
 * The whole of a request, content included, as canonical text: what `http.db` fingerprints,
 * under a keyed MAC (never a plain hash: a name guessed after a deletion must not be
 * confirmable from the file). Never stored as is.
 */
export const requestText = (method: string, url: string, body: unknown): string => {
  const p = requestParts(method, url, body);
  return `${p.method} ${p.path}\n${p.query}\n${p.body}`;
};

/**
 * What the log records of a keyed command, to know a retry of it: method, path, the query
 * parameters that change what is done, and the body (canonical JSON) without its content fields
 * (names, previews), as a digest. Content is left out: the digest goes into the log with the
 * events, where a hash of a name would outlive its shredding.
 */
export const requestIdentity = (method: string, url: string, body: unknown): string => {
  const kept =
    body !== null && typeof body === 'object'
      ? Object.fromEntries(Object.entries(body).filter(([k]) => !CONTENT.has(k)))
      : body;
  const p = requestParts(method, url, kept);
  // The digest format is recorded in the log: a retry compares with what earlier events carry.
  const digest = createHash('sha256')
    .update(`${p.query}\n${p.body}`)
    .digest('base64url')
    .slice(0, 22);
  return `${p.method} ${p.path} ${digest}`;
};
