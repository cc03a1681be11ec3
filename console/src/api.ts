import { session } from './session.js';

/**
 * The console's one way to the HTTP API: the bearer token of this tab, JSON in and out, and a
 * problem (application/problem+json) turned into an ApiError the pages show as it is.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(`${status} ${title}: ${detail}`);
  }
}

const headers = (accept = 'application/json'): HeadersInit => {
  const token = session.token();
  return token ? { accept, authorization: `Bearer ${token}` } : { accept };
};

const failure = async (res: Response): Promise<ApiError> => {
  const body = (await res.json().catch(() => null)) as { title?: string; detail?: string } | null;
  return new ApiError(res.status, body?.title ?? res.statusText, body?.detail ?? '');
};

/** GETs an API path (with its query) as JSON. */
export const getJson = async <T>(path: string): Promise<T> => {
  const res = await fetch(path, { headers: headers() });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
};

/** GETs an API path as text (the signed checkpoint, an export). */
export const getText = async (path: string, accept = 'text/plain'): Promise<string> => {
  const res = await fetch(path, { headers: headers(accept) });
  if (!res.ok) throw await failure(res);
  return res.text();
};

/** Opens a streamed answer (the event stream): the response, its body not read yet. */
export const openStream = async (path: string, signal: AbortSignal): Promise<Response> => {
  const res = await fetch(path, { headers: headers('text/event-stream'), signal });
  if (!res.ok) throw await failure(res);
  return res;
};
