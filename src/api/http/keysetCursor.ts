/**
 * A keyset cursor of a `/v1` list: the sort key (a time in epoch ms) and the id of the last row of
 * a page, opaque to clients (base64url of a JSON pair).
 */
export const keysetCursor = (at: number, id: string): string =>
  Buffer.from(JSON.stringify([at, id])).toString('base64url');

/** The pair of a cursor, or null for text that is not one. */
export const keysetOf = (cursor: string): readonly [number, string] | null => {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(v) || v.length !== 2) return null;
    const [at, id] = v as unknown[];
    if (!Number.isSafeInteger(at) || typeof id !== 'string') return null;
    return [at as number, id];
  } catch {
    return null;
  }
};
