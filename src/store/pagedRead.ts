/**
 * Everything after `after`, page by page through one of the store's reads, on this thread: the
 * pages any store can give (`readAll`'s events, `readEntries`' entries).
 */
export async function* pagedRead<T extends { readonly position: bigint }>(
  read: (opts: { after: bigint | null; maxCount: number }) => Promise<readonly T[]>,
  after: bigint | null,
  pageSize: number,
): AsyncGenerator<readonly T[]> {
  for (;;) {
    const page = await read({ after, maxCount: pageSize });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.position;
  }
}
