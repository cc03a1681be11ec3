import * as t from 'io-ts';

/** Read-your-writes: wait (briefly) until the read models have reached this log position. */
export const Consistency = t.partial({ minPosition: t.string });
