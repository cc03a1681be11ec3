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

  /** Thread id -> current name (last line wins). */
  names(): Map<string, string> {
    const out = new Map<string, string>();
    for (const raw of readLines(this.path, this.root).split('\n')) {
      const l = raw.trim() ? parseLine(raw) : null;
      if (l && typeof l.id === 'string' && typeof l.thread_name === 'string') out.set(l.id, l.thread_name);
    }
    return out;
  }

  /** Appends a rename, as Codex does, so Codex itself sees the new name. */
  async append(threadId: string, name: string, at: Date): Promise<void> {
    appendLines(this.path, `${JSON.stringify({ id: threadId, thread_name: name, updated_at: at.toISOString() })}\n`, this.root);
  }

  /** Rewrites the file without the lines of these threads (see removeLines); how many lines each lost. */
  remove(threadIds: ReadonlySet<string>): Map<string, number> {
    return removeLines(this.path, 'id', threadIds, this.root);
  }
}
