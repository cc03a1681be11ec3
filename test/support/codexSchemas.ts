import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';

const dir = fileURLToPath(new URL('../fixtures/codex-protocol/json-schema/', import.meta.url));
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const validators = new Map(
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map(
      (f) =>
        [
          f.replace(/\.json$/, ''),
          ajv.compile(JSON.parse(readFileSync(dir + f, 'utf8')) as object),
        ] as const,
    ),
);

/** Validates a value against one of Codex's JSON Schemas; returns the errors, [] when valid. */
export const schemaErrors = (name: string, value: unknown): string[] => {
  const v = validators.get(name);
  if (!v) throw new Error(`no schema ${name}`);
  return v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
};
