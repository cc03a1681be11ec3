import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The dependency direction the README's Layout section states: a folder of `src/` imports only
 * from the folders before it in this list (and from itself).
 */
const LAYERS = [
  'domain',
  'evidence',
  'io',
  'store',
  'projections',
  'app',
  'codex',
  'api',
  'main',
  'cli',
];

const SRC = resolve(import.meta.dirname, '../../src');

const sourceFiles = (): string[] =>
  readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(SRC, f));

/** `src/app/x.ts` -> `app`; the entry `src/cli.ts` belongs to the `cli` layer. */
const layerOf = (file: string): string => {
  const [first, ...rest] = relative(SRC, file).split('/');
  return rest.length === 0 ? first!.replace(/\.ts$/, '') : first!;
};

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) =>
    resolve(dirname(file), m[1]!),
  );

describe('the layers of src/', () => {
  const files = sourceFiles();

  it('every file is in a known layer', () => {
    const unknown = files.filter((f) => !LAYERS.includes(layerOf(f)));
    expect(unknown.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('imports flow one way: from a layer only to the layers before it', () => {
    const against: string[] = [];
    for (const file of files) {
      const from = LAYERS.indexOf(layerOf(file));
      for (const target of importsOf(file)) {
        const to = LAYERS.indexOf(layerOf(target));
        if (to > from) against.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
      }
    }
    expect(against).toEqual([]);
  });

  it('the domain and the evidence rules do no I/O: no node: module but the lexical node:path, no clock or randomness of its own', () => {
    const impure: string[] = [];
    // The evidence rules are pure too: they run in a browser as well (the reviewer console).
    for (const file of files.filter((f) => ['domain', 'evidence'].includes(layerOf(f)))) {
      const text = readFileSync(file, 'utf8');
      for (const bad of [
        /from 'node:(?!path')/,
        /Date\.now\(/,
        /Math\.random\(/,
        /new Date\(\)/,
        /randomUUID/,
      ])
        if (bad.test(text)) impure.push(`${relative(SRC, file)}: ${bad.source}`);
    }
    expect(impure).toEqual([]);
  });
});
