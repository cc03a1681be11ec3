import { html } from '../html.js';

/** A symbol for each status, so that it never rests on colour: the word is always there too. */
const SYMBOL: Record<string, string> = {
  live: '●',
  spawning: '◌',
  deleting: '◐',
  pending: '◐',
  failing: '✕',
  failed: '✕',
  deleted: '✓',
  done: '✓',
  waived: '≈',
};

/** A status as a word (with a symbol), styled by its kind. */
export const StatusWord = ({ status }: { status: string }) =>
  html`<span class=${`status status-${status}`}><span aria-hidden="true">${SYMBOL[status] ?? '·'} </span>${status}</span>`;
