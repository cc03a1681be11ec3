import type * as t from 'io-ts';

/** A JSON-RPC error, with the codes and messages `codex app-server` uses for the same cases. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const INVALID_REQUEST = -32600;
/** Params the method's schema accepts but that cannot be recorded: named by field. */
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
export const PARSE_ERROR = -32700;

export const invalidRequest = (message: string) => new RpcError(INVALID_REQUEST, message);
export const invalidParams = (errors: readonly { field: string; reason: string }[]) =>
  new RpcError(
    INVALID_PARAMS,
    `Invalid params: ${errors.map((e) => `\`${e.field}\` ${e.reason}`).join('; ')}`,
  );
export const notFound = (threadId: string) =>
  invalidRequest(`no rollout found for thread id ${threadId}`);

/** Serde-style wording for a params object that does not decode, as Codex words it. */
export const describeParamsError = (errors: t.Errors): string => {
  const e = errors[0];
  if (!e) return 'Invalid request: invalid params';
  const path = e.context.map((c) => c.key).filter((k) => k !== '' && !/^\d+$/.test(k));
  const field = path[path.length - 1];
  if (e.value === undefined && field) return `Invalid request: missing field \`${field}\``;
  const expected = e.context[e.context.length - 1]?.type.name ?? 'a valid value';
  return `Invalid request: invalid value for \`${field ?? 'params'}\`: expected ${expected}`;
};

const UUID_CHARS = /[0-9a-fA-F-]/;

/** The uuid parser's complaint about a thread id, as Codex reports it. */
export const describeBadThreadId = (raw: string): string => {
  const s = raw.startsWith('urn:uuid:') ? raw.slice('urn:uuid:'.length) : raw;
  for (let i = 0; i < s.length; i++) {
    if (!UUID_CHARS.test(s[i]!)) {
      return `invalid thread id: invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${s[i]}\` at ${i + 1}`;
    }
  }
  return `invalid thread id: invalid length: expected length 32 for simple format, found ${s.replace(/-/g, '').length}`;
};
