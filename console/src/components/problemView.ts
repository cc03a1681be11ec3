import { ApiError } from '../api.js';
import { html } from '../html.js';

/** An API refusal (or any failure) said in words: what the service answered, as it answered it. */
export const ProblemView = ({ error, what }: { error: unknown; what: string }) => {
  const said =
    error instanceof ApiError
      ? `${error.status} ${error.title}${error.detail ? `: ${error.detail}` : ''}`
      : String(error);
  return html`<p role="alert" class="error">Could not load ${what}. ${said}</p>`;
};

export const Loading = ({ what }: { what: string }) =>
  html`<p class="loading" role="status">Loading ${what}…</p>`;
