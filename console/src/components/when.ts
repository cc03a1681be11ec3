import { html } from '../html.js';

/** An ISO 8601 UTC time as a reader reads it (UTC said), in a <time> a machine reads too. */
export const When = ({ at }: { at: string | null | undefined }) =>
  at
    ? html`<time datetime=${at}>${at.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')} UTC</time>`
    : html`<span class="none">—</span>`;
