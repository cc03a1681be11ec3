import * as E from 'fp-ts/lib/Either.js';

/** JSON that shows bigints (log positions, revisions) rather than throwing on them. */
const show = (v: unknown): string =>
  JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x));

/** The Right of a result a test expects to succeed; a Left fails the test, showing the error. */
export const unwrap = <A>(r: E.Either<unknown, A>): A => {
  if (E.isLeft(r)) throw new Error(`expected success, got ${show(r.left)}`);
  return r.right;
};
