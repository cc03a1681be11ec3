import type * as t from 'io-ts';
import { MAX_EPOCH_MS } from '../../domain/numbers.js';
import { timeParamSchema } from './timeParam.js';

type Schema = Record<string, unknown>;

/**
 * The JSON Schema of an io-ts codec: the OpenAPI document is derived from the very codecs the
 * routes decode with, so no shape is written twice. Covers the combinators this project uses.
 */
export const jsonSchemaOf = (codec: t.Mixed): Schema => {
  const c = codec as t.Mixed & { _tag?: string } & Record<string, unknown>;
  if (c.name === 'TimeParam') return timeParamSchema;
  switch (c._tag) {
    case 'StringType':
      return { type: 'string' };
    case 'NumberType':
      return { type: 'number' };
    case 'BooleanType':
      return { type: 'boolean' };
    case 'NullType':
      return { type: 'null' };
    case 'UnknownType':
    case 'AnyType':
      return {};
    case 'UnknownRecordType':
      return { type: 'object' };
    case 'LiteralType':
      return { const: c['value'] };
    case 'KeyofType':
      return { type: 'string', enum: Object.keys(c['keys'] as object) };
    case 'ArrayType':
      return { type: 'array', items: jsonSchemaOf(c['type'] as t.Mixed) };
    case 'TupleType':
      return { type: 'array', prefixItems: (c['types'] as t.Mixed[]).map(jsonSchemaOf) };
    case 'InterfaceType':
    case 'PartialType': {
      const props = c['props'] as Record<string, t.Mixed>;
      return {
        type: 'object',
        properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, jsonSchemaOf(v)])),
        ...(c._tag === 'InterfaceType' ? { required: Object.keys(props) } : {}),
      };
    }
    case 'IntersectionType': {
      const parts = (c['types'] as t.Mixed[]).map(jsonSchemaOf);
      if (parts.every((p) => p['type'] === 'object')) {
        return {
          type: 'object',
          properties: Object.assign({}, ...parts.map((p) => p['properties'])),
          required: parts.flatMap((p) => (p['required'] as string[] | undefined) ?? []),
          // Exact members: the intersection takes their fields and no others.
          ...(parts.every((p) => p['additionalProperties'] === false)
            ? { additionalProperties: false }
            : {}),
        };
      }
      return { allOf: parts };
    }
    case 'UnionType':
      return { anyOf: (c['types'] as t.Mixed[]).map(jsonSchemaOf) };
    case 'RefinementType': {
      const base = jsonSchemaOf(c['type'] as t.Mixed);
      if (c.name === 'Int') return { type: 'integer' };
      if (c.name === 'EpochMs') return { type: 'integer', minimum: 0, maximum: MAX_EPOCH_MS };
      if (c.name === 'SpawnDepth') return { type: 'integer', minimum: 0 };
      if (c.name === 'ThreadId') return { ...base, format: 'uuid' };
      if (c.name === 'IsoTime') return { ...base, format: 'date-time' };
      return base;
    }
    case 'ExactType': {
      // Exact shapes refuse fields they do not name: say so in the document.
      const inner = jsonSchemaOf(c['type'] as t.Mixed);
      return inner['type'] === 'object' ? { ...inner, additionalProperties: false } : inner;
    }
    case 'ReadonlyType':
      return jsonSchemaOf(c['type'] as t.Mixed);
    default:
      throw new Error(`no JSON Schema for io-ts codec ${c.name} (${String(c._tag)})`);
  }
};
