import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { type OpenRegularOptions, openRegular } from './regularFile.js';

/** The text of an open file, from where its offset is to its end. */
export const readToEndSync = (fd: number): string => {
  const chunks: Buffer[] = [];
  for (;;) {
    const buf = Buffer.allocUnsafe(1 << 16);
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
  }
  return Buffer.concat(chunks).toString('utf8');
};

/**
 * The first line of an open file (without its newline), read from its start in small chunks so
 * that the rest is not: at most `maxBytes` of it (a longer line is given cut there).
 */
export const firstLineSync = (fd: number, maxBytes: number, chunkBytes = 16 * 1024): string => {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < maxBytes) {
    const buf = Buffer.allocUnsafe(Math.min(chunkBytes, maxBytes - total));
    const n = readSync(fd, buf, 0, buf.length, total);
    if (n === 0) break;
    const nl = buf.subarray(0, n).indexOf(10);
    chunks.push(buf.subarray(0, nl === -1 ? n : nl));
    total += n;
    if (nl !== -1) break;
  }
  return Buffer.concat(chunks).toString('utf8');
};

/**
 * The text of a regular file (see `regularFile.ts`), at most `maxBytes` of it (then `truncated`);
 * null when there is no such file. Anything else at the path is refused (NotARegularFile).
 */
export const readRegularFile = async (
  path: string,
  maxBytes: number,
  opts: Pick<OpenRegularOptions, 'followSymlink'> = {},
): Promise<{ text: string; truncated: boolean } | null> => {
  let opened;
  try {
    opened = await openRegular(path, opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const { handle, stat } = opened;
  try {
    const want = Math.min(stat.size, maxBytes);
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await handle.read(buf, got, want - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { text: buf.subarray(0, got).toString('utf8'), truncated: stat.size > maxBytes };
  } finally {
    await handle.close();
  }
};

/**
 * Cuts chunks of a file into lines at `\n` alone, as Codex reads them (a `\r` before it is JSON
 * whitespace to whoever parses the line). A line wholly inside one chunk is decoded from it without
 * a copy; the part after a chunk's last newline waits for the next chunk.
 */
class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** The lines that `buf[0, n)` ends; `buf` may be reused once the generator is done. */
  *push(buf: Buffer, n: number): Generator<string> {
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl === -1 || nl >= n) break;
      if (this.pendingBytes === 0) yield buf.toString('utf8', start, nl);
      else {
        this.pending.push(buf.subarray(start, nl));
        yield Buffer.concat(this.pending, this.pendingBytes + nl - start).toString('utf8');
        this.pending = [];
        this.pendingBytes = 0;
      }
      start = nl + 1;
    }
    if (start < n) {
      this.pending.push(Buffer.from(buf.subarray(start, n)));
      this.pendingBytes += n - start;
    }
  }

  /** The line still open (no newline after it yet), or null. */
  rest(): string | null {
    return this.pendingBytes > 0
      ? Buffer.concat(this.pending, this.pendingBytes).toString('utf8')
      : null;
  }
}

/**
 * The first lines of a file, read in chunks from an open handle: at most `maxBytes` are read, and
 * a line still open at that point is not given (it was cut). The last line of the file is given
 * even without a newline (a file being written may end mid-line). Lines end at `\n` alone.
 */
export async function* headLines(
  handle: FileHandle,
  maxBytes: number,
  chunkBytes = 64 * 1024,
): AsyncGenerator<string> {
  const lines = new LineSplitter();
  let offset = 0;
  const buf = Buffer.allocUnsafe(chunkBytes);
  while (offset < maxBytes) {
    const want = Math.min(chunkBytes, maxBytes - offset);
    const { bytesRead } = await handle.read(buf, 0, want, offset);
    if (bytesRead === 0) break;
    offset += bytesRead;
    yield* lines.push(buf, bytesRead);
  }
  const rest = lines.rest();
  // The limit reached with a line open: it was cut, unless the file ends right there.
  if (
    rest !== null &&
    (offset < maxBytes || (await handle.read(buf, 0, 1, offset)).bytesRead === 0)
  )
    yield rest;
}

/**
 * As headLines, from a descriptor, synchronously: for many small reads of files already in the
 * page cache (the import's rollout heads), where an asynchronous read costs more than the read.
 */
export function* headLinesSync(
  fd: number,
  maxBytes: number,
  chunkBytes = 64 * 1024,
): Generator<string> {
  const lines = new LineSplitter();
  let offset = 0;
  const buf = Buffer.allocUnsafe(Math.min(chunkBytes, maxBytes));
  while (offset < maxBytes) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, maxBytes - offset), offset);
    if (n === 0) break;
    offset += n;
    yield* lines.push(buf, n);
  }
  const rest = lines.rest();
  if (rest !== null && (offset < maxBytes || readSync(fd, buf, 0, 1, offset) === 0)) yield rest;
}
