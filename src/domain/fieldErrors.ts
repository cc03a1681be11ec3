import type * as t from 'io-ts';

/** One field of an input or an event that is not valid, and why: what a refusal names. */
export type FieldError = { readonly field: string; readonly reason: string };

const SHOWN = 80;

/**
 * A value as an error message shows it: numbers JSON cannot hold by name (`Infinity`, not the
 * `null` JSON would make of it), long or deep values cut short. Never throws.
 */
export const showValue = (v: unknown): string => {
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > SHOWN ? `${s.slice(0, SHOWN)}… (${s.length} characters)` : s;
};

/** What a codec's name means, in words. */
const EXPECTED: Record<string, string> = {
  FiniteNumber: 'a finite number',
  EpochMs: 'whole milliseconds since the epoch (0 to 8640000000000000)',
  SpawnDepth: 'a whole number, 0 or more',
  Int: 'an integer',
  ThreadId: 'a UUID',
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
};

/**
 * Of a union's failed members, the one that got furthest: a `nullable(GitInfo)` given a bad `sha`
 * reports `gitInfo.sha`, not also that the value is not null.
 */
const furthest = (errors: t.Errors): t.ValidationError[] => {
  const groups = new Map<string, t.ValidationError[]>();
  errors.forEach((e, i) => {
    const u = e.context.findIndex((c) => (c.type as { _tag?: string })._tag === 'UnionType');
    const key =
      u < 0
        ? `#${i}`
        : e.context
            .slice(0, u + 1)
            .map((c) => c.key)
            .join('/');
    groups.set(key, [...(groups.get(key) ?? []), e]);
  });
  return [...groups.values()].flatMap((g) => {
    const deepest = Math.max(...g.map((e) => e.context.length));
    return g.filter((e) => e.context.length === deepest);
  });
};

/**
 * A path of keys as a field name, as the JSON it names is written: `gitInfo.sha`, an array's
 * items by index, `sourceKinds[1]`.
 */
export const fieldName = (keys: readonly (string | number)[]): string =>
  keys.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');

const ARRAYS = new Set(['ArrayType', 'ReadonlyArrayType', 'TupleType']);

/**
 * io-ts errors as fields: the path of keys to the value (the members of unions and intersections
 * are not fields and are left out), named by `fieldName`, one error per field.
 */
export const fieldErrorsOf = (errors: t.Errors, where = 'value'): FieldError[] => {
  const out: FieldError[] = [];
  for (const e of furthest(errors)) {
    const keys: (string | number)[] = [];
    e.context.forEach((c, i) => {
      if (i === 0 || c.key === '') return;
      const parent = e.context[i - 1]!.type as { _tag?: string };
      if (parent._tag === 'UnionType' || parent._tag === 'IntersectionType') return;
      keys.push(ARRAYS.has(parent._tag ?? '') ? Number(c.key) : c.key);
    });
    const field = fieldName(keys) || where;
    if (out.some((x) => x.field === field)) continue;
    const name = e.context[e.context.length - 1]?.type.name ?? 'a valid value';
    const reason =
      e.message ??
      (e.value === undefined
        ? 'is required'
        : `must be ${EXPECTED[name] ?? name}, got ${showValue(e.value)}`);
    out.push({ field, reason });
  }
  return out;
};

export const describeFieldErrors = (errors: readonly FieldError[]): string =>
  errors.map((e) => `${e.field} ${e.reason}`).join('; ');
