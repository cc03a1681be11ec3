import { dirname } from 'node:path';
import { ConfinedRoot } from './confinedPath.js';
import { appendLines, parseLine, readLines, removeLines } from './jsonLinesFile.js';

/**
 * Codex's `session_index.jsonl`: one `{"id","thread_name","updated_at"}` line per rename,
 * appended; the last line for an id wins. Lines this code does not understand are kept as they are.
 * Read, appended and rewritten only as a regular file in its folder, held open (a symlink is
 * refused, never followed: see `confinedPath.ts`).
 */
export class SessionIndexFile {
  private readonly root: ConfinedRoot;

  constructor(readonly path: string) {
    this.root = new ConfinedRoot(dirname(path));
  }

  /**
   * Thread id -> current name (last line wins). Only a regular file is read: a symlink, a FIFO, a
   * directory or a device at the path is refused (NotARegularFile), never opened for reading
   * in a way that could block; no file is no names.
   */
  names(): Map<string, string> {
    const out = new Map<string, string>();
    for (const raw of readLines(this.path, this.root).split('\n')) {
      const l = raw.trim() ? parseLine(raw) : null;
      if (l && typeof l.id === 'string' && typeof l.thread_name === 'string')
        out.set(l.id, l.thread_name);
    }
    return out;
  }

  /**
   * Appends a rename, as Codex does, so Codex itself sees the new name. Written only into a
   * regular file (created if absent): opened without following a symlink and without blocking (a
   * FIFO without a reader fails at once, one with a reader is refused after fstat).
   */
  async append(threadId: string, name: string, at: Date): Promise<void> {
    appendLines(
      this.path,
      `${JSON.stringify({ id: threadId, thread_name: name, updated_at: at.toISOString() })}\n`,
      this.root,
    );
  }

  /** Rewrites the file without the lines of these threads (see removeLines); how many lines each lost. */
  remove(threadIds: ReadonlySet<string>): Map<string, number> {
    return removeLines(this.path, 'id', threadIds, this.root);
  }
}
