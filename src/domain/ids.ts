import * as t from 'io-ts';

// Codex thread ids are UUIDs (v7 in practice); any RFC 4122 textual UUID is accepted, lower-cased.
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface ThreadIdBrand {
  readonly ThreadId: unique symbol;
}

export const ThreadId = t.brand(
  t.string,
  (s): s is t.Branded<string, ThreadIdBrand> => UUID_RE.test(s),
  'ThreadId',
);
export type ThreadId = t.TypeOf<typeof ThreadId>;

const STREAM_PREFIX = 'thread-';

/** One stream per thread: `thread-<uuid>`. */
export const streamOf = (id: ThreadId): string => `${STREAM_PREFIX}${id}`;

/** The thread id of a `thread-<uuid>` stream, or null for any other stream. */
export const threadIdOfStream = (stream: string): ThreadId | null => {
  if (!stream.startsWith(STREAM_PREFIX)) return null;
  const id = stream.slice(STREAM_PREFIX.length);
  return ThreadId.is(id) ? id : null;
};
