import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A line's JSON object, or null for a line that is not one (kept as it is by every rewrite). */
export const parseLine = (line: string): Record<string, unknown> | null => {
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/** The text of a JSON-lines file: '' when absent; only a regular file is read (a symlink is refused). */
export const readLines = (path: string): string => {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (st === undefined) return '';
  if (!st.isFile()) throw new Error(`refusing ${path}: it is not a regular file`);
  return readFileSync(path, 'utf8');
};

const fsyncDir = (dir: string) => {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

/**
 * Rewrites a JSON-lines file without the lines whose `field` names one of `ids`: a new file
 * beside it (created exclusively, with the old file's mode), fsynced, renamed over it, the folder
 * fsynced; a reader sees the old file or the new one, never half of one. Returns how many lines
 * each id lost; a file with none of them is not touched.
 */
export const removeLines = (path: string, field: string, ids: ReadonlySet<string>): Map<string, number> => {
  const removed = new Map<string, number>([...ids].map((id) => [id, 0]));
  const text = readLines(path);
  if (text === '') return removed;
  const kept: string[] = [];
  for (const raw of text.split('\n')) {
    const id = raw.trim() ? parseLine(raw)?.[field] : undefined;
    if (typeof id === 'string' && ids.has(id)) removed.set(id, removed.get(id)! + 1);
    else kept.push(raw);
  }
  if ([...removed.values()].every((n) => n === 0)) return removed;
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    fchmodSync(fd, lstatSync(path).mode & 0o777);
    writeSync(fd, kept.join('\n'));
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {}
    try {
      unlinkSync(tmp);
    } catch {}
    throw err;
  }
  fsyncDir(dirname(path));
  return removed;
};
