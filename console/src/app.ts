import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson } from './api.js';
import { html } from './html.js';
import { DeletionPage } from './pages/deletionPage.js';
import { DeletionsPage } from './pages/deletionsPage.js';
import { OverviewPage } from './pages/overviewPage.js';
import { ThreadPage } from './pages/threadPage.js';
import { ThreadsPage } from './pages/threadsPage.js';
import { href, type Route } from './router.js';
import { session } from './session.js';

/** Who the console speaks as: nobody yet, a token the API accepted, or one it refused. */
type Access =
  | { readonly kind: 'checking' }
  | { readonly kind: 'signIn'; readonly refused: string | null }
  | { readonly kind: 'ok' }
  | { readonly kind: 'forbidden'; readonly detail: string };

/** Asks the API what this tab's token may do: the evidence key is the auditor's smallest read. */
const checkAccess = async (): Promise<Access> => {
  try {
    await getJson('/v1/evidence/key');
    return { kind: 'ok' };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401)
      return { kind: 'signIn', refused: session.token() ? 'That token was not accepted.' : null };
    if (err instanceof ApiError && err.status === 403)
      return { kind: 'forbidden', detail: err.detail };
    throw err;
  }
};

const SignIn = ({ refused, onDone }: { refused: string | null; onDone: () => void }) => {
  const [token, setToken] = useState('');
  return html`<main class="sign-in">
    <h1>Sign in to the reviewer console</h1>
    <p>Paste a bearer token with the <strong>auditor</strong> role. It is kept for this tab only.</p>
    ${refused && html`<p role="alert" class="error">${refused}</p>`}
    <form
      onSubmit=${(e: Event) => {
        e.preventDefault();
        session.signIn(token);
        onDone();
      }}
    >
      <label for="token">Bearer token</label>
      <input id="token" name="token" type="password" autocomplete="off" required
        value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} />
      <button type="submit">Sign in</button>
    </form>
  </main>`;
};

const Forbidden = ({ detail, onSignOut }: { detail: string; onSignOut: () => void }) =>
  html`<main class="refused">
    <h1>This token cannot open the reviewer console</h1>
    <p role="alert">The console shows audit records: it needs a token with the <strong>auditor</strong> role (or admin).</p>
    <p class="detail">The service said: ${detail}</p>
    <button type="button" onClick=${onSignOut}>Sign in with another token</button>
  </main>`;

const Nav = ({ route, onSignOut }: { route: Route; onSignOut: () => void }) => {
  const at = (page: Route['page'][]) => (page.includes(route.page) ? 'page' : undefined);
  return html`<header class="top">
    <a class="brand" href=${href('/')}>thread-ledger · reviewer console</a>
    <nav aria-label="Sections">
      <a href=${href('/')} aria-current=${at(['overview'])}>Overview</a>
      <a href=${href('/threads')} aria-current=${at(['threads', 'thread'])}>Threads</a>
      <a href=${href('/deletions')} aria-current=${at(['deletions', 'deletion'])}>Deletions</a>
    </nav>
    ${session.token() && html`<button type="button" class="sign-out" onClick=${onSignOut}>Sign out</button>`}
  </header>`;
};

const pageOf = (route: Route): ComponentChildren => {
  switch (route.page) {
    case 'overview':
      return html`<${OverviewPage} />`;
    case 'threads':
      return html`<${ThreadsPage} query=${route.query} />`;
    case 'thread':
      return html`<${ThreadPage} id=${route.id} />`;
    case 'deletions':
      return html`<${DeletionsPage} query=${route.query} />`;
    case 'deletion':
      return html`<${DeletionPage} id=${route.id} />`;
    case 'notFound':
      return html`<main><h1>No such page</h1><p>${route.path} is not a page of the console.</p></main>`;
  }
};

export const App = ({ route }: { route: Route }) => {
  const [access, setAccess] = useState<Access>({ kind: 'checking' });
  const recheck = () => {
    setAccess({ kind: 'checking' });
    checkAccess().then(setAccess, (err: unknown) =>
      setAccess({ kind: 'forbidden', detail: String(err) }),
    );
  };
  useEffect(recheck, []);
  const signOut = () => {
    session.signOut();
    recheck();
  };
  switch (access.kind) {
    case 'checking':
      return html`<p class="loading" role="status">Checking access…</p>`;
    case 'signIn':
      return html`<${SignIn} refused=${access.refused} onDone=${recheck} />`;
    case 'forbidden':
      return html`<${Forbidden} detail=${access.detail} onSignOut=${signOut} />`;
    case 'ok':
      return html`<${Nav} route=${route} onSignOut=${signOut} />${pageOf(route)}`;
  }
};
