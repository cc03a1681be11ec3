import { html } from '../html.js';

/** TODO(issue 14): the deletions page. */
export const DeletionsPage = (_: { query: URLSearchParams }) =>
  html`<main><h1>DeletionsPage</h1></main>`;
