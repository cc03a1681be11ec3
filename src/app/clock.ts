/** Milliseconds since the epoch; passed in, so that tests and replays choose the time. */
export type Clock = () => number;
