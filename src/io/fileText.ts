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
 * The first lines of a file, read in chunks from an open handle: at most `maxBytes` are read, and
 * a line still open at that point is not given (it was cut). The last line of the file is given
 * even without a newline (a file being written may end mid-line). Lines end at `\n` alone, as
 * Codex reads them (a `\r` before it is JSON whitespace to whoever parses the line).
 */
export async function* headLines(
  handle: FileHandle,
  maxBytes: number,
  chunkBytes = 64 * 1024,
): AsyncGenerator<string> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let offset = 0;
  const buf = Buffer.allocUnsafe(chunkBytes);
  while (offset < maxBytes) {
    const { bytesRead } = await handle.read(
      buf,
      0,
      Math.min(chunkBytes, maxBytes - offset),
      offset,
    );
    if (bytesRead === 0) {
      if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes).toString('utf8');
      return;
    }
    offset += bytesRead;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl === -1 || nl >= bytesRead) break;
      pending.push(Buffer.from(buf.subarray(start, nl)));
      pendingBytes += nl - start;
      yield Buffer.concat(pending, pendingBytes).toString('utf8');
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
    }
    if (start < bytesRead) {
      pending.push(Buffer.from(buf.subarray(start, bytesRead)));
      pendingBytes += bytesRead - start;
    }
  }
  // The limit reached with a line open: it was cut, unless the file ends right there.
  if (pendingBytes > 0 && (await handle.read(buf, 0, 1, offset)).bytesRead === 0)
    yield Buffer.concat(pending, pendingBytes).toString('utf8');
}
