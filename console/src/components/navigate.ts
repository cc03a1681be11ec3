/**
 * Goes to a console URL without a reload, as a followed link does: the router re-renders on
 * `popstate`, so a pushed state is announced with one (the router itself stays as it is).
 */
export const navigate = (url: string): void => {
  history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
};
