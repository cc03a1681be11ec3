import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { parseLine, removeLines } from './jsonLinesFile.js';
import { NotARegularFile, readRegularFileSync } from './regularFile.js';

/**
 * Codex's `session_index.jsonl`: one `{"id","thread_name","updated_at"}` line per rename,
 * appended; the last line for an id wins. Lines this code does not understand are kept as they are.
 */
export class SessionIndexFile {
  constructor(readonly path: string) {}

  /**
   * Thread id -> current name (last line wins). Only a regular file is read: a symlink, a FIFO, a
   * directory or a device at the path is refused (NotARegularFile), never opened for reading
   * in a way that could block; no file is no names.
   */
  names(): Map<string, string> {
    const out = new Map<string, string>();
    const text = readRegularFileSync(this.path, Number.MAX_SAFE_INTEGER)?.text ?? '';
    for (const raw of text.split('\n')) {
      const l = raw.trim() ? parseLine(raw) : null;
      if (l && typeof l.id === 'string' && typeof l.thread_name === 'string') out.set(l.id, l.thread_name);
    }
    return out;
  }

  /**
   * Appends a rename, as Codex does, so Codex itself sees the new name. Written only into a
   * regular file (created if absent): opened without following a symlink and without blocking (a
   * FIFO without a reader fails at once, one with a reader is refused after fstat).
   */
  async append(threadId: string, name: string, at: Date): Promise<void> {
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;
    let handle;
    try {
      handle = await open(this.path, flags, 0o644);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'ENXIO' || code === 'EISDIR') throw new NotARegularFile(`${this.path} is not a regular file: not written`);
      throw err;
    }
    try {
      if (!(await handle.stat()).isFile()) throw new NotARegularFile(`${this.path} is not a regular file: not written`);
      await handle.appendFile(`${JSON.stringify({ id: threadId, thread_name: name, updated_at: at.toISOString() })}\n`);
    } finally {
      await handle.close();
    }
  }

  /** Rewrites the file without the lines of these threads (see removeLines); how many lines each lost. */
  remove(threadIds: ReadonlySet<string>): Map<string, number> {
    return removeLines(this.path, 'id', threadIds);
  }
}
