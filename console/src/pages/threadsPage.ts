import { html } from '../html.js';

/** TODO(issue 14): the threads page. */
export const ThreadsPage = (_: { query: URLSearchParams }) =>
  html`<main><h1>ThreadsPage</h1></main>`;
