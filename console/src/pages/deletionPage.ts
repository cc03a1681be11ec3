import { html } from '../html.js';

/** TODO(issue 14): the deletion page. */
export const DeletionPage = (_: { id: string }) => html`<main><h1>DeletionPage</h1></main>`;
