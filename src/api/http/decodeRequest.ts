import type { FastifyRequest } from 'fastify';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { describeFieldErrors, fieldErrorsOf, fieldName } from '../../domain/fieldErrors.js';
import { jsonSchemaOf } from './jsonSchema.js';
import { invalid } from './problem.js';

/** The codecs a route decodes its input with: path parameters, query string, body. */
export type Codecs = { params?: t.Mixed; query?: t.Mixed; body?: t.Mixed };

/** A route's input as its codecs decoded it (`undefined` where it has no codec). */
export type Decoded<C extends Codecs> = {
  body: C['body'] extends t.Mixed ? t.TypeOf<C['body']> : undefined;
  query: C['query'] extends t.Mixed ? t.TypeOf<C['query']> : undefined;
  params: C['params'] extends t.Mixed ? t.TypeOf<C['params']> : undefined;
};

/** The JSON types a schema allows, through nested `anyOf`s (a nullable union, say). */
const typesOf = (schema: Record<string, unknown>): unknown[] => [
  schema['type'],
  ...((schema['anyOf'] as Record<string, unknown>[] | undefined) ?? []).flatMap(typesOf),
];

/** Percent-decoded (`+` a space, as in a form), or as sent when it is not valid percent-encoding. */
const decoded = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
};

/** Each query parameter's values as sent, not yet percent-decoded, by decoded name. */
const rawQueryOf = (url: string): Map<string, string[]> => {
  const values = new Map<string, string[]>();
  const at = url.indexOf('?');
  if (at < 0) return values;
  for (const part of url.slice(at + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decoded(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : part.slice(eq + 1);
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return values;
};

/**
 * A list-valued parameter: its values, comma-separated, repeated, or both (`cwd=/a,/b&cwd=/c`).
 * A literal comma separates values; one that belongs to a value is sent percent-encoded (`%2C`),
 * so the split is made before decoding (OpenAPI's `form` style). Empty: no values.
 */
const listOf = (raw: readonly string[]): string[] =>
  raw.flatMap((v) => (v === '' ? [] : v.split(',').map(decoded)));

/**
 * A query value is text: turned into what its JSON Schema says (a boolean, number, list). `raw`:
 * the parameter's values as sent, for a list.
 */
const coerce = (schema: Record<string, unknown>, value: unknown, raw?: string[]): unknown => {
  if (typeof value !== 'string' && !Array.isArray(value)) return value;
  const types = typesOf(schema);
  if (types.includes('array')) {
    if (raw !== undefined) return listOf(raw);
    return Array.isArray(value) ? value : value === '' ? [] : value.split(',');
  }
  if (Array.isArray(value)) return value;
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(value))
    return Number(value);
  if (types.includes('null') && value === 'null') return null;
  return value;
};

const coerceQuery = (
  schema: Record<string, unknown>,
  q: Record<string, unknown>,
  url: string,
): Record<string, unknown> => {
  const props = (schema['properties'] as Record<string, Record<string, unknown>> | undefined) ?? {};
  const raw = rawQueryOf(url);
  return Object.fromEntries(
    Object.entries(q).map(([k, v]) => [k, props[k] ? coerce(props[k]!, v, raw.get(k)) : v]),
  );
};

/** A short account of a refused value: never the whole of it (nor a walk down a deep one). */
const described = (v: unknown): string => {
  if (Array.isArray(v)) return 'an array';
  if (v !== null && typeof v === 'object') return 'an object';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The fields of `input` that its decoding dropped (exact codecs drop the fields their shape does
 * not name), named as the API names them (`gitInfo.extra`, `items[2].x`), at any depth.
 */
export const unknownFields = (
  input: unknown,
  decoded: unknown,
  path: readonly (string | number)[] = [],
): string[] => {
  if (Array.isArray(input) && Array.isArray(decoded))
    return input.flatMap((x, i) => unknownFields(x, decoded[i], [...path, i]));
  if (!isRecord(input) || !isRecord(decoded)) return [];
  return Object.keys(input).flatMap((k) =>
    Object.hasOwn(decoded, k)
      ? unknownFields(input[k], decoded[k], [...path, k])
      : [fieldName([...path, k])],
  );
};

/**
 * Decodes input with its codec, or throws a 400 problem naming each field that is wrong. A body
 * must be a JSON object, and may hold no field its (exact) codec does not name, at any depth:
 * what is not part of a shape is refused rather than silently stored or silently dropped.
 */
export const decodeInput = <C extends t.Mixed>(
  codec: C,
  value: unknown,
  where: string,
): t.TypeOf<C> => {
  if (where === 'body' && !isRecord(value)) {
    throw invalid(`body must be a JSON object, got ${described(value)}`, [
      { field: 'body', reason: `must be a JSON object, got ${described(value)}` },
    ]);
  }
  const r = codec.decode(value);
  if (E.isRight(r)) {
    const unknown = where === 'body' ? unknownFields(value, r.right) : [];
    if (unknown.length > 0) {
      const errors = unknown.map((field) => ({ field, reason: 'is not a known field' }));
      const are = unknown.length === 1 ? 'is not a known field' : 'are not known fields';
      throw invalid(`${where}: ${unknown.join(', ')} ${are}`, errors);
    }
    return r.right;
  }
  const errors = fieldErrorsOf(r.left, where);
  throw invalid(`${where}: ${describeFieldErrors(errors)}`, errors);
};

/**
 * The decoding step of a route: its path parameters, query string (turned from text into what
 * the query codec's JSON Schema says first) and body, each with its codec, or a 400 problem.
 */
export const requestDecoder = <C extends Codecs>(codecs: C) => {
  const querySchema = codecs.query ? jsonSchemaOf(codecs.query) : {};
  return (request: FastifyRequest): Decoded<C> => {
    const { params, query, body } = codecs;
    const rawQuery = request.query as Record<string, unknown>;
    const rawBody = request.body === undefined ? {} : request.body;
    return {
      params: params ? decodeInput(params, request.params, 'path') : undefined,
      query: query
        ? decodeInput(query, coerceQuery(querySchema, rawQuery, request.url), 'query')
        : undefined,
      body: body ? decodeInput(body, rawBody, 'body') : undefined,
    } as Decoded<C>;
  };
};
