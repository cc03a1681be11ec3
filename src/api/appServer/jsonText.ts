/**
 * A result already written as JSON, in UTF-8 pieces: the message around it is encoded without
 * parsing or re-encoding it (`encodeLine`). A `thread/list` page is joined from each thread's
 * kept JSON; as bytes, the answer is copied once and never made a string.
 */
export class JsonText {
  constructor(readonly parts: readonly Buffer[]) {}

  get text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

const COMMA = Buffer.from(',');

/** `[a,b,...]` of JSON pieces, as pieces. */
export const jsonArrayParts = (items: readonly Buffer[], open: string, close: string): Buffer[] => {
  const parts: Buffer[] = [Buffer.from(open)];
  items.forEach((item, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(item);
  });
  parts.push(Buffer.from(close));
  return parts;
};
