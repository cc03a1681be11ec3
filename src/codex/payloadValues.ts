/** Reading values out of a rollout line's JSON, which nothing has checked: a wrong type is absent. */

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): v is string => typeof v === 'string';
export const int = (v: unknown): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null;
export const strOrNull = (v: unknown): string | null => (str(v) ? v : null);

/** `{secs, nanos}` (Rust's Duration) in milliseconds. */
export const durationMs = (d: unknown): number | null => {
  if (!isObj(d)) return null;
  const secs = int(d['secs']);
  const nanos = int(d['nanos']);
  return secs === null || nanos === null ? null : secs * 1000 + Math.floor(nanos / 1_000_000);
};
