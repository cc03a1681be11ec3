import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * Only regular files are read. A path is opened without following a symbolic link (O_NOFOLLOW)
 * and without blocking (O_NONBLOCK: a FIFO opens at once instead of waiting for a writer), and
 * what was opened is checked with fstat: a FIFO, a directory, a device or a socket is refused
 * before a byte is read. Checking the descriptor, not the path, leaves no window in which the
 * path can be swapped for something else.
 */
export class NotARegularFile extends Error {
  readonly code = 'ENOTREGULAR';
}

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
/** For a file a user may keep as a symlink (config.toml): followed, but what it leads to must be a regular file. */
const FOLLOWING = constants.O_RDONLY | constants.O_NONBLOCK;

export type OpenOptions = { readonly followSymlink?: boolean };

const kindOf = (st: Stats): string =>
  st.isDirectory()
    ? 'a directory'
    : st.isFIFO()
      ? 'a FIFO'
      : st.isSocket()
        ? 'a socket'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device'
          : 'not a regular file';

const symlinkRefusal = (path: string, err: unknown): unknown =>
  (err as NodeJS.ErrnoException).code === 'ELOOP'
    ? new NotARegularFile(`${path} is a symbolic link`)
    : err;

/** Opens a regular file for reading; the caller closes it. Throws NotARegularFile, or the errno error (ENOENT, ...). */
export const openRegular = async (
  path: string,
  opts: OpenOptions = {},
): Promise<{ handle: FileHandle; stat: Stats }> => {
  let handle: FileHandle;
  try {
    handle = await open(path, opts.followSymlink ? FOLLOWING : FLAGS);
  } catch (err) {
    throw symlinkRefusal(path, err);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new NotARegularFile(`${path} is ${kindOf(stat)}, not a regular file`);
    return { handle, stat };
  } catch (err) {
    await handle.close();
    throw err;
  }
};

/** As openRegular, synchronously: a descriptor the caller closes. */
export const openRegularSync = (path: string): { fd: number; stat: Stats } => {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    throw symlinkRefusal(path, err);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new NotARegularFile(`${path} is ${kindOf(stat)}, not a regular file`);
    return { fd, stat };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
};

/**
 * The text of a regular file, at most `maxBytes` of it (then `truncated`); null when there is no
 * such file. Anything else at the path is refused (NotARegularFile).
 */
export const readRegularFileSync = (
  path: string,
  maxBytes: number,
): { text: string; truncated: boolean } | null => {
  let opened;
  try {
    opened = openRegularSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const { fd, stat } = opened;
  try {
    const want = Math.min(stat.size, maxBytes);
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const n = readSync(fd, buf, got, want - got, got);
      if (n === 0) break;
      got += n;
    }
    return { text: buf.subarray(0, got).toString('utf8'), truncated: stat.size > maxBytes };
  } finally {
    closeSync(fd);
  }
};

/** As readRegularFileSync, without blocking the event loop. */
export const readRegularFile = async (
  path: string,
  maxBytes: number,
  opts: OpenOptions = {},
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
 * The first lines of a regular file, read in chunks from an open handle: at most `maxBytes` are
 * read, and a line still open at that point is not given (it was cut). The last line of the file
 * is given even without a newline (a file being written may end mid-line).
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
}
