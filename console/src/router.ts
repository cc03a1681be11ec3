/**
 * The console's pages by path: every path is a deep link that loads directly (the server answers
 * index.html for any /console/ path). Links are plain anchors; a click on one is handled here.
 */
export type Route =
  | { readonly page: 'overview' }
  | { readonly page: 'threads'; readonly query: URLSearchParams }
  | { readonly page: 'thread'; readonly id: string }
  | { readonly page: 'deletions'; readonly query: URLSearchParams }
  | { readonly page: 'deletion'; readonly id: string }
  | { readonly page: 'notFound'; readonly path: string };

export const BASE = '/console';

export const routeOf = (url: URL): Route => {
  const path = url.pathname.replace(/\/+$/, '');
  const rest = path.startsWith(BASE) ? path.slice(BASE.length) : path;
  const [, section, id, ...more] = rest.split('/');
  if (more.length > 0) return { page: 'notFound', path };
  if (!section) return { page: 'overview' };
  if (section === 'threads')
    return id
      ? { page: 'thread', id: decodeURIComponent(id) }
      : { page: 'threads', query: url.searchParams };
  if (section === 'deletions')
    return id
      ? { page: 'deletion', id: decodeURIComponent(id) }
      : { page: 'deletions', query: url.searchParams };
  return { page: 'notFound', path };
};

export const href = (path: string): string => `${BASE}${path}`;

/** Follows in-console links without a reload; calls `render` on every change of path. */
export const startRouter = (render: (r: Route) => void): void => {
  document.addEventListener('click', (e) => {
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download') || e.metaKey || e.ctrlKey || e.shiftKey)
      return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(BASE)) return;
    e.preventDefault();
    history.pushState(null, '', url);
    render(routeOf(url));
  });
  addEventListener('popstate', () => render(routeOf(new URL(location.href))));
  render(routeOf(new URL(location.href)));
};
