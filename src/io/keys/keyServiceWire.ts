import * as t from 'io-ts';

/**
 * The key service's requests and answers: one definition for the server (which decodes the
 * requests) and the client (which decodes the answers).
 */

/** At most this many threads in one request; the client splits larger sets. */
export const MAX_IDS_PER_REQUEST = 10_000;

const KeyId = t.refinement(t.string, (s) => s.length > 0 && s.length <= 200, 'ThreadKeyId');

const IdList = t.refinement(
  t.array(KeyId),
  (ids) => ids.length >= 1 && ids.length <= MAX_IDS_PER_REQUEST,
  `ThreadIds (1 to ${MAX_IDS_PER_REQUEST})`,
);

export const KeysRequest = t.strict({ threadIds: IdList }, 'KeysRequest');
export type KeysRequest = t.TypeOf<typeof KeysRequest>;

/** 32-byte AES keys, base64: only the keys that exist. */
export const KeysAnswer = t.strict({ keys: t.record(t.string, t.string) }, 'KeysAnswer');
export type KeysAnswer = t.TypeOf<typeof KeysAnswer>;

export const DestroyAnswer = t.strict(
  { destroyed: t.array(t.string), absent: t.array(t.string) },
  'DestroyAnswer',
);
export type DestroyAnswer = t.TypeOf<typeof DestroyAnswer>;

/** The bearer token both sides share: long enough that it cannot be guessed. */
export const MIN_KEY_SERVICE_TOKEN = 32;

export const keyServicePaths = {
  ensure: '/v1/keys/ensure',
  read: '/v1/keys/read',
  destroy: '/v1/keys/destroy',
} as const;
