import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname } from 'node:path';
import { ConfinedRoot, type HeldDir } from './confinedPath.js';
import { readToEndSync } from './fileText.js';
import { NotARegularFile, openRegularSync } from './regularFile.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW } = constants;

/**
 * A line's JSON object, or null for a line that is not one (kept as it is by every rewrite).
 * Not depth-bounded (`boundedJson.ts`): JSON.parse itself does not recurse, only top-level fields
 * are read, and a deleted thread's line must be found however deep the rest of it is.
 */
export const parseLine = (line: string): Record<string, unknown> | null => {
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
};

const isJsonSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\r' || c === '\n';

/**
 * A line's `field`, as a top-level string, read without parsing the line where that cannot differ
 * from `parseLine(line)?.[field]` for the test it serves: 'absent' when the line cannot have it,
 * else the string the quoted name is followed by, or null (parse the line). Sound only on a line
 * with no backslash: no escape can spell the name or a value otherwise, and every quote delimits
 * a string, so the name's one occurrence is the key or nothing. A hit is for the caller to confirm
 * by parsing (the key may be nested, the line not JSON); a miss means its value is something else.
 */
export const fieldAtAGlance = (line: string, field: string): string | 'absent' | null => {
  if (line.includes('\\')) return null;
  const key = `"${field}"`;
  const at = line.indexOf(key);
  if (at < 0) return 'absent';
  if (line.indexOf(key, at + key.length) >= 0) return null;
  let i = at + key.length;
  while (isJsonSpace(line[i])) i++;
  if (line[i] !== ':') return null;
  i++;
  while (isJsonSpace(line[i])) i++;
  if (line[i] !== '"') return 'absent'; // not a string: names no thread
  const end = line.indexOf('"', i + 1);
  return end < 0 ? null : line.slice(i + 1, end);
};

/**
 * Opens `name` in the folder held as a regular file (see `regularFile.ts`); null when absent.
 * Anything else there is refused, naming the file as the caller knows it.
 */
const openIn = (
  dir: HeldDir,
  name: string,
  flags: number,
  shown: string,
): { fd: number; stat: Stats } | null => {
  try {
    return openRegularSync(dir.at(name), { flags, shown });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (err instanceof NotARegularFile)
      throw new NotARegularFile(shown, err.kind, `refusing ${shown}: it is not a regular file`);
    throw err;
  }
};

const noSuchFile = (path: string) =>
  Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
    code: 'ENOENT',
    path,
  });

/** The folder of a JSON-lines file, held (see `confinedPath.ts`). `folder`: that folder as a root, resolved once by the caller; else now. */
const folderOf = (path: string, folder: ConfinedRoot | undefined): HeldDir | null =>
  (folder ?? new ConfinedRoot(dirname(path))).openDir([]);

/** The text of a JSON-lines file: '' when absent; only a regular file is read (a symlink is refused). */
export const readLines = (path: string, folder?: ConfinedRoot): string => {
  const dir = folderOf(path, folder);
  if (dir === null) return '';
  try {
    const f = openIn(dir, basename(path), O_RDONLY, path);
    if (f === null) return '';
    try {
      return readToEndSync(f.fd);
    } finally {
      closeSync(f.fd);
    }
  } finally {
    dir.close();
  }
};

/** Appends text to a JSON-lines file in its folder, created if absent; a symlink or anything but a regular file is refused. */
export const appendLines = (path: string, text: string, folder?: ConfinedRoot): void => {
  const dir = folderOf(path, folder);
  if (dir === null) throw noSuchFile(path);
  try {
    const f = openIn(dir, basename(path), O_WRONLY | O_APPEND | O_CREAT, path);
    if (f === null) throw noSuchFile(path); // its folder went away
    try {
      const buf = Buffer.from(text, 'utf8');
      for (let off = 0; off < buf.length; ) off += writeSync(f.fd, buf, off, buf.length - off);
    } finally {
      closeSync(f.fd);
    }
  } finally {
    dir.close();
  }
};

const tempName = (name: string): RegExp =>
  new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[0-9a-f]{12}\\.tmp$`);

/**
 * The new files of rewrites a crash stopped before their rename: each holds the other threads'
 * lines as they were (a deleted one's among them, if it was deleted later), so it goes.
 */
const removeStaleTemps = (dir: HeldDir, name: string): void => {
  const pattern = tempName(name);
  for (const entry of dir.entries()) {
    if (!pattern.test(entry)) continue;
    if (lstatSync(dir.at(entry), { throwIfNoEntry: false })?.isFile()) unlinkSync(dir.at(entry));
  }
};

/**
 * Rewrites a JSON-lines file without the lines whose `field` names one of `ids`: a new file
 * beside it (created exclusively, with the old file's mode), fsynced, renamed over it, the folder
 * fsynced; a reader sees the old file or the new one, never half of one. Returns how many lines
 * each id lost; a file with none of them is not touched. All of it happens in the file's folder,
 * held open (see `confinedPath.ts`): neither the read, the new file nor the rename follows a symlink.
 * A new file a crashed rewrite left behind is removed first.
 */
export const removeLines = (
  path: string,
  field: string,
  ids: ReadonlySet<string>,
  folder?: ConfinedRoot,
): Map<string, number> => {
  const removed = new Map<string, number>([...ids].map((id) => [id, 0]));
  const dir = folderOf(path, folder);
  if (dir === null) return removed;
  try {
    const name = basename(path);
    removeStaleTemps(dir, name);
    const f = openIn(dir, name, O_RDONLY, path);
    if (f === null) return removed;
    let text: string;
    try {
      text = readToEndSync(f.fd);
    } finally {
      closeSync(f.fd);
    }
    if (text === '') return removed;
    const kept: string[] = [];
    for (const raw of text.split('\n')) {
      // Most lines name another thread: told at a glance, only the others parsed (30,000 lines
      // of a 6 MiB history.jsonl, JSON.parse was most of the rewrite).
      const glance = fieldAtAGlance(raw, field);
      if (glance === 'absent' || (glance !== null && !ids.has(glance))) {
        kept.push(raw);
        continue;
      }
      const id = raw.trim() ? parseLine(raw)?.[field] : undefined;
      if (typeof id === 'string' && ids.has(id)) removed.set(id, removed.get(id)! + 1);
      else kept.push(raw);
    }
    if ([...removed.values()].every((n) => n === 0)) return removed;
    const tmp = `.${name}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = openSync(dir.at(tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    let open = true;
    try {
      fchmodSync(fd, f.stat.mode & 0o777);
      writeSync(fd, kept.join('\n'));
      fsyncSync(fd);
      open = false;
      closeSync(fd);
      renameSync(dir.at(tmp), dir.at(name));
    } catch (err) {
      if (open) closeSync(fd);
      try {
        unlinkSync(dir.at(tmp));
      } catch {}
      throw err;
    }
    dir.fsync();
    return removed;
  } finally {
    dir.close();
  }
};
