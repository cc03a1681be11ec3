import type { FastifyRequest } from 'fastify';
import type { Authenticator, Principal, RoleNeeded } from './auth.js';

/** The principal of each request that passed its authentication hook. */
const principals = new WeakMap<FastifyRequest, Principal>();

/**
 * A route's authentication hook: the principal of the request's bearer token, or 401 without a
 * valid one; with a `role` (one role, or any of several), 403 unless the principal holds it,
 * admin including every role (without one, as on the RPC socket, each method checks its own).
 * Declared as a pre-handler (or pre-validation) hook: it runs once the body is parsed, so a body
 * that does not parse is refused as such first.
 */
export const authenticate =
  (auth: Authenticator, role?: RoleNeeded) =>
  async (request: FastifyRequest): Promise<void> => {
    const principal = auth.authenticate(request.headers.authorization, request.headers.origin);
    if (role !== undefined) {
      const route = request.routeOptions.url ?? request.url;
      auth.authorize(principal, role, `${request.method} ${route}`);
    }
    principals.set(request, principal);
  };

/** Who sent the request, as its authentication hook found. */
export const principalOf = (request: FastifyRequest): Principal => {
  const principal = principals.get(request);
  if (principal === undefined) throw new Error(`${request.url}: no authentication hook ran`);
  return principal;
};
