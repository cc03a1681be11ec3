import type { MessagePort } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** What `readEntryPagesAhead` asks: open the log after a position, then one page per `next`. */
export type EntryPageRequest =
  | {
      readonly kind: 'open';
      readonly file: string;
      readonly sql: string;
      readonly bytesSql: string;
      readonly maxBytes: number;
      readonly after: number;
      readonly max: number;
    }
  | { readonly kind: 'next' };

/** A page as the worker answers it; `count: 0` when the log ends, `error` when it cannot be read. */
export type EntryPageReply = {
  readonly count: number;
  readonly positions: string;
  readonly entries: string;
  readonly error?: string;
};

/**
 * The body of the worker that reads pages of entries (`ENTRY_PAGE_SQL`) through its own read-only
 * connection. Self-contained, since it runs from its own source text (`toString`): a worker
 * started that way needs no module loader, TypeScript's or otherwise, and starts at once.
 */
export function entryPageWorker(
  Db: typeof Database,
  port: Pick<MessagePort, 'on' | 'postMessage'>,
): void {
  type PageRow = [number, number | null, string | null, string | null];
  let page: Database.Statement<[number, number], PageRow> | null = null;
  let bytes: Database.Statement<[number, number], number | null> | null = null;
  let after = 0;
  let max = 0;
  let maxBytes = 0;
  // Fewer events when they are large: halved until the page's stored bytes fit, down to one.
  const read = (): PageRow => {
    let count = max;
    while (count > 1 && (bytes!.get(after, count) ?? 0) > maxBytes) count = Math.ceil(count / 2);
    return page!.get(after, count)!;
  };
  port.on('message', (req: EntryPageRequest) => {
    try {
      if (req.kind === 'open') {
        const db = new Db(req.file, { readonly: true, fileMustExist: true });
        page = db.prepare<[number, number], PageRow>(req.sql).raw(true);
        bytes = db.prepare<[number, number], number | null>(req.bytesSql).pluck();
        after = req.after;
        max = req.max;
        maxBytes = req.maxBytes;
        return;
      }
      const [count, last, positions, entries] = read();
      if (last !== null) after = last;
      const reply: EntryPageReply = { count, positions: positions ?? '', entries: entries ?? '' };
      port.postMessage(reply);
    } catch (e) {
      const reply: EntryPageReply = { count: 0, positions: '', entries: '', error: String(e) };
      port.postMessage(reply);
    }
  });
}
