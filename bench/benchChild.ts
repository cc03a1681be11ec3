import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs a bench script (a path beside this file) under tsx in a Node process of its own, so that
 * its time and peak memory are its own, and parses the JSON it prints.
 */
export const benchChild = <T>(
  script: string,
  args: readonly string[],
  opts: { readonly nodeFlags?: readonly string[]; readonly env?: Record<string, string> } = {},
): T =>
  JSON.parse(
    execFileSync(
      process.execPath,
      [
        ...(opts.nodeFlags ?? []),
        '--import',
        'tsx',
        fileURLToPath(new URL(script, import.meta.url)),
        ...args,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, ...opts.env } },
    ),
  ) as T;
