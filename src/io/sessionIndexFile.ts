import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

type Line = { id?: unknown; thread_name?: unknown; updated_at?: unknown };

const parse = (line: string): Line | null => {
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null ? (v as Line) : null;
  } catch {
    return null;
  }
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
 * Codex's `session_index.jsonl`: one `{"id","thread_name","updated_at"}` line per rename,
 * appended; the last line for an id wins. Lines this code does not understand are kept as they are.
 */
export class SessionIndexFile {
  constructor(readonly path: string) {}

  private text(): string {
    try {
      return readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
  }

  /** Thread id -> current name (last line wins). */
  names(): Map<string, string> {
    const out = new Map<string, string>();
    for (const raw of this.text().split('\n')) {
      const l = raw.trim() ? parse(raw) : null;
      if (l && typeof l.id === 'string' && typeof l.thread_name === 'string') out.set(l.id, l.thread_name);
    }
    return out;
  }

  /** Appends a rename, as Codex does, so Codex itself sees the new name. */
  async append(threadId: string, name: string, at: Date): Promise<void> {
    await appendFile(this.path, `${JSON.stringify({ id: threadId, thread_name: name, updated_at: at.toISOString() })}\n`);
  }

  /**
   * Rewrites the file without the lines of these threads: a temp file beside it, fsynced, then
   * renamed over it, so a reader sees the old file or the new one, never half of one.
   * Returns how many lines each thread lost.
   */
  remove(threadIds: ReadonlySet<string>): Map<string, number> {
    const removed = new Map<string, number>([...threadIds].map((id) => [id, 0]));
    const text = this.text();
    if (text === '') return removed;
    const kept: string[] = [];
    for (const raw of text.split('\n')) {
      const id = raw.trim() ? parse(raw)?.id : undefined;
      if (typeof id === 'string' && threadIds.has(id)) removed.set(id, removed.get(id)! + 1);
      else kept.push(raw);
    }
    if ([...removed.values()].every((n) => n === 0)) return removed;
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, kept.join('\n'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    fsyncDir(dirname(this.path));
    return removed;
  }
}
