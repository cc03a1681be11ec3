import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstLineSync, headLines, headLinesSync, readRegularFile } from '../../src/io/fileText.js';
import { NotARegularFile, openRegular, openRegularSync } from '../../src/io/regularFile.js';
import { tempDir } from '../support/tempDir.js';

/** A named pipe, where the platform has `mkfifo`. */
const mkfifo = (path: string): boolean => spawnSync('mkfifo', [path]).status === 0;

/** The head lines of a file, read asynchronously and synchronously: the two readers agree. */
const lines = async (path: string, maxBytes: number, chunkBytes?: number): Promise<string[]> => {
  const handle = await open(path);
  const out: string[] = [];
  try {
    for await (const l of headLines(handle, maxBytes, chunkBytes)) out.push(l);
  } finally {
    await handle.close();
  }
  const fd = openSync(path, 'r');
  try {
    expect([...headLinesSync(fd, maxBytes, chunkBytes)]).toEqual(out);
  } finally {
    closeSync(fd);
  }
  return out;
};

describe('opening a file as a regular file (the one way a file from outside is opened)', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('opens a regular file, sync or async, and hands back what fstat says of it', async () => {
    const file = join(dir.path, 'f');
    writeFileSync(file, 'abc');
    const { fd, stat } = openRegularSync(file);
    closeSync(fd);
    expect(stat.size).toBe(3);
    const { handle, stat: st } = await openRegular(file);
    await handle.close();
    expect(st.size).toBe(3);
  });

  it('refuses a symlink, a directory and a FIFO, saying which, under the name the caller gives', async () => {
    const file = join(dir.path, 'f');
    writeFileSync(file, 'abc');
    const link = join(dir.path, 'link');
    symlinkSync(file, link);
    const sub = join(dir.path, 'sub');
    mkdirSync(sub);
    const fifo = join(dir.path, 'fifo');
    const cases: [string, string][] = [
      [link, 'a symbolic link'],
      [sub, 'a directory'],
    ];
    if (mkfifo(fifo)) cases.push([fifo, 'a FIFO']);
    for (const [path, kind] of cases) {
      expect(() => openRegularSync(path)).toThrow(NotARegularFile);
      await expect(openRegular(path)).rejects.toMatchObject({ kind, code: 'ENOTREGULAR' });
      expect(() => openRegularSync(path, { shown: 'the index' })).toThrow(/^the index is /);
    }
  });

  it('refuses to open anything but a regular file for writing: a directory, a FIFO without a reader', async () => {
    const sub = join(dir.path, 'sub');
    mkdirSync(sub);
    expect(() => openRegularSync(sub, { flags: constants.O_WRONLY })).toThrow(NotARegularFile);
    const fifo = join(dir.path, 'fifo');
    if (mkfifo(fifo))
      expect(() => openRegularSync(fifo, { flags: constants.O_WRONLY })).toThrow(NotARegularFile);
  });

  it('follows a symlink only when told, and still refuses what it leads to if that is not a regular file', async () => {
    const file = join(dir.path, 'f');
    writeFileSync(file, 'abc');
    const link = join(dir.path, 'link');
    symlinkSync(file, link);
    expect((await readRegularFile(link, 10, { followSymlink: true }))?.text).toBe('abc');
    const toDir = join(dir.path, 'to-dir');
    mkdirSync(join(dir.path, 'sub'));
    symlinkSync(join(dir.path, 'sub'), toDir);
    await expect(readRegularFile(toDir, 10, { followSymlink: true })).rejects.toMatchObject({
      kind: 'a directory',
    });
  });

  it('leaves a missing file to the caller (ENOENT); reading one is null', async () => {
    expect(() => openRegularSync(join(dir.path, 'none'))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    expect(await readRegularFile(join(dir.path, 'none'), 10)).toBeNull();
  });
});

describe('reading the text of a regular file', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('reads at most maxBytes, and says when there was more', async () => {
    const file = join(dir.path, 'f');
    writeFileSync(file, 'abcdef');
    expect(await readRegularFile(file, 4)).toEqual({ text: 'abcd', truncated: true });
    expect(await readRegularFile(file, 6)).toEqual({ text: 'abcdef', truncated: false });
  });

  it('gives the lines within the limit, not one the limit cuts, and the last line even without a newline', async () => {
    const file = join(dir.path, 'f');
    writeFileSync(file, 'one\ntwo\nthree');
    expect(await lines(file, 100)).toEqual(['one', 'two', 'three']);
    expect(await lines(file, 100, 2)).toEqual(['one', 'two', 'three']); // chunks smaller than a line
    expect(await lines(file, 6)).toEqual(['one']); // `two` is cut
    expect(await lines(file, 8)).toEqual(['one', 'two']);
    expect(await lines(file, 13)).toEqual(['one', 'two', 'three']); // the file ends at the limit
    writeFileSync(file, 'a\r\nb\rc\n');
    expect(await lines(file, 100)).toEqual(['a\r', 'b\rc']); // lines end at \n alone
    writeFileSync(file, 'é\n€€\nz');
    expect(await lines(file, 100, 3)).toEqual(['é', '€€', 'z']); // a character cut by a chunk
  });

  it('reads the first line alone, up to a limit', () => {
    const file = join(dir.path, 'f');
    writeFileSync(file, `${'x'.repeat(40)}\nsecond\n`);
    const fd = openSync(file, 'r');
    try {
      expect(firstLineSync(fd, 1000, 16)).toBe('x'.repeat(40));
      expect(firstLineSync(fd, 20, 16)).toBe('x'.repeat(20));
    } finally {
      closeSync(fd);
    }
  });
});
