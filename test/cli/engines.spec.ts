import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

type Version = readonly [number, number, number];

const parse = (text: string): Version => {
  const [a = 0, b = 0, c = 0] = text
    .replace(/\.[x*]$/, '')
    .split('.')
    .map((n) => Number(n));
  return [a, b, c];
};
const compare = (x: Version, y: Version): number => x[0] - y[0] || x[1] - y[1] || x[2] - y[2];

/** Whether `v` satisfies a semver range of the forms package.json `engines` use (||, ^, >=, N.x). */
const satisfies = (v: Version, range: string): boolean =>
  range
    .replace(/(\^|>=|<=|>|<|=)\s+/g, '$1')
    .split('||')
    .some((set) =>
      set
        .trim()
        .split(/\s+/)
        .every((c) => {
          if (c === '*' || c === '') return true;
          const m = /^(\^|>=|<=|>|<|=)?v?(\d+(?:\.\d+)?(?:\.\d+)?(?:\.[x*])?)$/.exec(c);
          if (!m) throw new Error(`cannot read the range "${range}"`);
          const [, op = '', text = ''] = m;
          const at = parse(text);
          const parts = text.replace(/\.[x*]$/, '').split('.').length;
          if (op === '^' || (op === '' && parts < 3)) return compare(v, at) >= 0 && v[0] === at[0];
          const d = compare(v, at);
          return op === '>='
            ? d >= 0
            : op === '>'
              ? d > 0
              : op === '<='
                ? d <= 0
                : op === '<'
                  ? d < 0
                  : d === 0;
        }),
    );

describe('the Node versions: engines, the README and the dependency tree agree', () => {
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
  const lock = JSON.parse(read('package-lock.json')) as {
    packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
  };

  it('every package of the lockfile runs on the oldest Node the engines admit, and on 22 and 24', () => {
    const oldest = parse(/\^?(\d+\.\d+\.\d+)/.exec(pkg.engines.node)![1]!);
    for (const v of [oldest, parse('22.12.0'), parse('24.0.0')]) {
      expect(satisfies(v, pkg.engines.node), `${v.join('.')} vs ${pkg.engines.node}`).toBe(true);
      const refusing = Object.entries(lock.packages)
        // Optional packages (a platform's binary) are installed only where they fit.
        .filter(([, p]) => !p.optional && !Array.isArray(p.engines) && p.engines?.node)
        .filter(([, p]) => !satisfies(v, (p.engines as { node: string }).node))
        .map(([name, p]) => `${name} ${(p.engines as { node: string }).node}`);
      expect(refusing, `on Node ${v.join('.')}`).toEqual([]);
    }
    expect(oldest[0]).toBe(20);
  });

  it('the README recommends the maintained lines and says what the engines say of 20', () => {
    const readme = read('README.md');
    expect(readme).toContain('Node.js 22 or 24 (the maintained lines) is recommended');
    expect(readme).toContain(`\`engines\` says \`${pkg.engines.node}\``);
  });
});
