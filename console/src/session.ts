/**
 * The bearer token, typed once and kept for this tab only (sessionStorage): closing the tab
 * forgets it. With no tokens configured (loopback open mode) there is none to type.
 */
const KEY = 'thread-ledger.token';

export const session = {
  token: (): string | null => sessionStorage.getItem(KEY),
  signIn: (token: string): void => sessionStorage.setItem(KEY, token.trim()),
  signOut: (): void => sessionStorage.removeItem(KEY),
};
