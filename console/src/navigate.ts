/**
 * Goes to a console URL without a reload, as a followed link does: the router renders the page
 * of the new URL on popstate (router.ts), so a form can put its values in the address.
 */
export const navigate = (url: string): void => {
  history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
};
