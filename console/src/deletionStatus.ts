import { html } from './html.js';

export type DeletionStatus = 'pending' | 'failing' | 'deleted';

/** A symbol with every word: the status is never told by colour alone. */
const SYMBOL: Record<DeletionStatus, string> = { pending: '…', failing: '✗', deleted: '✓' };

/** A deletion's status as a badge: symbol, word, and a colour that only repeats them. */
export const StatusBadge = ({ status }: { status: DeletionStatus }) =>
  html`<span class=${`status status-${status}`}><span aria-hidden="true">${SYMBOL[status]} </span>${status}</span>`;
