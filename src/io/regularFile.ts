import { closeSync, constants, fstatSync, openSync, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * The one way thread-ledger opens a file it did not make itself (a rollout, the session index,
 * config.toml, a file about to be purged): only a regular file is accepted. The path is opened
 * without following a symbolic link (O_NOFOLLOW) and without blocking (O_NONBLOCK: a FIFO opens at
 * once instead of waiting for a writer), and what was opened is checked with fstat: a FIFO, a
 * directory, a device or a socket is refused before a byte is read or written. Checking the
 * descriptor, not the path, leaves no window in which the path can be swapped for something else.
 */

/** What was found where a regular file was expected. */
export type NotRegularKind =
  | 'a symbolic link'
  | 'a directory'
  | 'a FIFO'
  | 'a socket'
  | 'a device'
  | 'not a regular file';

export class NotARegularFile extends Error {
  readonly code = 'ENOTREGULAR';
  constructor(
    /** The path as the caller names it (for messages). */
    readonly path: string,
    readonly kind: NotRegularKind,
    message?: string,
  ) {
    super(
      message ??
        (kind === 'a symbolic link'
          ? `${path} is a symbolic link`
          : kind === 'not a regular file'
            ? `${path} is not a regular file`
            : `${path} is ${kind}, not a regular file`),
    );
  }
}

export type OpenRegularOptions = {
  /** How to open it (O_RDONLY unless told); O_NOFOLLOW and O_NONBLOCK are added. */
  readonly flags?: number;
  /** The mode of a file created (with O_CREAT). */
  readonly mode?: number;
  /** For a file a user may keep as a symlink (config.toml): followed, but what it leads to must be a regular file. */
  readonly followSymlink?: boolean;
  /** The path named in a refusal, when `path` is not how the caller knows the file (`/proc/self/fd/...`). */
  readonly shown?: string;
};

const flagsOf = (o: OpenRegularOptions): number =>
  (o.flags ?? constants.O_RDONLY) |
  (o.followSymlink ? 0 : constants.O_NOFOLLOW) |
  constants.O_NONBLOCK;

const kindOf = (st: Stats): NotRegularKind =>
  st.isDirectory()
    ? 'a directory'
    : st.isFIFO()
      ? 'a FIFO'
      : st.isSocket()
        ? 'a socket'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device'
          : 'not a regular file';

/**
 * The open's errno, as a refusal where it says what the path holds: ELOOP (a symlink, with
 * O_NOFOLLOW), ENXIO (a FIFO without a reader opened for writing, a socket), EISDIR (a directory
 * opened for writing). Anything else (ENOENT, EACCES, ...) is the caller's to judge.
 */
const refusalOf = (shown: string, err: unknown): unknown => {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ELOOP':
      return new NotARegularFile(shown, 'a symbolic link');
    case 'ENXIO':
      return new NotARegularFile(shown, 'not a regular file');
    case 'EISDIR':
      return new NotARegularFile(shown, 'a directory');
    default:
      return err;
  }
};

const checked = (shown: string, stat: Stats): Stats => {
  if (!stat.isFile()) throw new NotARegularFile(shown, kindOf(stat));
  return stat;
};

/** Opens a regular file; the caller closes the handle. Throws NotARegularFile, or the errno error (ENOENT, ...). */
export const openRegular = async (
  path: string,
  opts: OpenRegularOptions = {},
): Promise<{ handle: FileHandle; stat: Stats }> => {
  const shown = opts.shown ?? path;
  let handle: FileHandle;
  try {
    handle = await open(path, flagsOf(opts), opts.mode);
  } catch (err) {
    throw refusalOf(shown, err);
  }
  try {
    return { handle, stat: checked(shown, await handle.stat()) };
  } catch (err) {
    await handle.close();
    throw err;
  }
};

/** As openRegular, synchronously: a descriptor the caller closes. */
export const openRegularSync = (
  path: string,
  opts: OpenRegularOptions = {},
): { fd: number; stat: Stats } => {
  const shown = opts.shown ?? path;
  let fd: number;
  try {
    fd = openSync(path, flagsOf(opts), opts.mode);
  } catch (err) {
    throw refusalOf(shown, err);
  }
  try {
    return { fd, stat: checked(shown, fstatSync(fd)) };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
};
