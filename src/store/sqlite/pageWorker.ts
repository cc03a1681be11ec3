import type { hash } from 'node:crypto';
import type { MessagePort } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * What `pagesAhead` asks: open the log after a position, then one page per `next`. A page is one
 * row of `sql` (count, last position, then its own columns); `hashColumn`, when given, is one of
 * those columns holding the page's evidence entries joined by a newline, which the worker hashes
 * into leaves (and does not send).
 */
export type PageRequest =
  | {
      readonly kind: 'open';
      readonly file: string;
      readonly sql: string;
      readonly bytesSql: string;
      readonly maxBytes: number;
      readonly after: number;
      readonly max: number;
      readonly hashColumn?: number;
    }
  | { readonly kind: 'next' };

/**
 * A page as the worker answers it: `count: 0` when the log ends, `error` when it cannot be read.
 * `columns`: the row's columns after count and last position; `leaves`: 32 bytes an event,
 * `SHA-256(0x00 || entry)`, when the request named a `hashColumn`.
 */
export type PageReply = {
  readonly count: number;
  readonly columns: readonly unknown[];
  readonly leaves?: Uint8Array;
  readonly error?: string;
};

/**
 * The body of the worker that reads pages of the log through its own read-only connection.
 * Self-contained, since it runs from its own source text (`toString`): a worker started that way
 * needs no module loader, TypeScript's or otherwise, and starts at once.
 */
export function pageWorker(
  Db: typeof Database,
  sha256: typeof hash,
  port: Pick<MessagePort, 'on' | 'postMessage'>,
): void {
  type PageRow = [number, number | null, ...unknown[]];
  let open: Extract<PageRequest, { kind: 'open' }> | null = null;
  let page: Database.Statement<[number, number], PageRow> | null = null;
  let bytes: Database.Statement<[number, number], number | null> | null = null;
  let after = 0;
  // Fewer events when they are large: halved until the page's stored bytes fit, down to one.
  const read = (): PageRow => {
    let count = open!.max;
    while (count > 1 && (bytes!.get(after, count) ?? 0) > open!.maxBytes)
      count = Math.ceil(count / 2);
    return page!.get(after, count)!;
  };
  const leavesOf = (count: number, entries: string): Uint8Array<ArrayBuffer> => {
    const list = entries.split('\n');
    if (list.length !== count)
      throw new Error(
        `a page of ${count} entries split into ${list.length}: an entry holds a raw newline`,
      );
    const leaves = new Uint8Array(new ArrayBuffer(count * 32));
    for (let i = 0; i < count; i++)
      leaves.set(sha256('sha256', `\u0000${list[i]}`, 'buffer'), i * 32);
    return leaves;
  };
  port.on('message', (req: PageRequest) => {
    try {
      if (req.kind === 'open') {
        const db = new Db(req.file, { readonly: true, fileMustExist: true });
        page = db.prepare<[number, number], PageRow>(req.sql).raw(true);
        bytes = db.prepare<[number, number], number | null>(req.bytesSql).pluck();
        open = req;
        after = req.after;
        return;
      }
      const [count, last, ...columns] = read();
      if (last !== null) after = last;
      const h = open!.hashColumn;
      if (h === undefined || count === 0) {
        const reply: PageReply = { count, columns };
        port.postMessage(reply);
        return;
      }
      const leaves = leavesOf(count, (columns[h] as string | null) ?? '');
      columns[h] = null;
      const reply: PageReply = { count, columns, leaves };
      port.postMessage(reply, [leaves.buffer]);
    } catch (e) {
      const reply: PageReply = { count: 0, columns: [], error: String(e) };
      port.postMessage(reply);
    }
  });
}
