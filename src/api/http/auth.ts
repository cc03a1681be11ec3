import { createHash, timingSafeEqual } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { PathReporter } from 'io-ts/lib/PathReporter.js';
import { problem } from './problem.js';

export const Role = t.keyof({ writer: null, auditor: null, admin: null });
export type Role = t.TypeOf<typeof Role>;

/**
 * What each role includes: a writer writes (and reads back threads, lists, subtrees and the
 * status of a deletion), an auditor reads everything recorded (history, the event stream, the
 * deletion records, metrics), and an admin is both, and operates the server (rebuild, waive).
 */
export const IMPLIED_ROLES: Readonly<Record<Role, readonly Role[]>> = {
  writer: ['writer'],
  auditor: ['auditor'],
  admin: ['admin', 'writer', 'auditor'],
};

/** The roles a principal holds: those granted, and those they include. */
export const heldRoles = (granted: readonly Role[]): Role[] => {
  const held = new Set(granted.flatMap((r) => IMPLIED_ROLES[r]));
  return (Object.keys(Role.keys) as Role[]).filter((r) => held.has(r));
};

/** What a route (or method) needs: one role, or any one of several. */
export type RoleNeeded = Role | readonly Role[];

/** The roles of which any one lets a request through. */
export const rolesNeeded = (needed: RoleNeeded): readonly Role[] =>
  typeof needed === 'string' ? [needed] : needed;

/** Whether a principal holds one of the roles needed (admin includes every role). */
export const allows = (p: Principal, needed: RoleNeeded): boolean => {
  const held = heldRoles(p.roles);
  return rolesNeeded(needed).some((r) => held.includes(r));
};

/** "the writer or auditor role", "the admin role". */
export const describeNeeded = (needed: RoleNeeded): string => {
  const roles = rolesNeeded(needed);
  const names =
    roles.length <= 1
      ? roles.join('')
      : `${roles.slice(0, -1).join(', ')} or ${roles[roles.length - 1]}`;
  return `the ${names} role`;
};

/** Why a principal is refused: what is needed, and what it has. */
export const refusalOf = (p: Principal, needed: RoleNeeded, what = 'this'): string => {
  const admin = rolesNeeded(needed).includes('admin') ? '' : ' (admin includes every role)';
  return `${what} needs ${describeNeeded(needed)}${admin}; ${p.subject} has ${p.roles.join(', ') || 'none'}`;
};

/** A bearer token from configuration, with the subject recorded as the actor of what it does. */
export const TokenConfig = t.type({ token: t.string, subject: t.string, roles: t.array(Role) });
export const TokensConfig = t.array(TokenConfig);
export type TokenConfig = t.TypeOf<typeof TokenConfig>;

export type Principal = { subject: string; roles: readonly Role[] };

/** Tokens: at least this long, so that a guessable one is refused at start. */
const MIN_TOKEN = 16;

export const parseTokens = (json: string): E.Either<string, TokenConfig[]> => {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    return E.left(`tokens are not JSON: ${(err as Error).message}`);
  }
  const r = TokensConfig.decode(raw);
  if (E.isLeft(r)) return E.left(`tokens: ${PathReporter.report(r).join('; ')}`);
  const short = r.right.find((x) => x.token.length < MIN_TOKEN);
  if (short) return E.left(`the token of ${short.subject} is shorter than ${MIN_TOKEN} characters`);
  return r;
};

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

const BEARER = /^Bearer\s+(\S+)$/i;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Compares in constant time (digests of equal length), against every token, always. */
export class Authenticator {
  private readonly tokens: { digest: Buffer; principal: Principal }[];

  constructor(tokens: readonly TokenConfig[]) {
    this.tokens = tokens.map((x) => ({
      digest: digest(x.token),
      principal: { subject: x.subject, roles: x.roles },
    }));
  }

  get open(): boolean {
    return this.tokens.length === 0;
  }

  authenticate(header: string | undefined, origin?: string): Principal {
    // No tokens configured: a loopback-only development server; every local caller is "local".
    // A web page is not a local caller: a browser sends its Origin, and only a loopback one passes.
    if (this.open) {
      if (origin !== undefined && !LOOPBACK_ORIGIN.test(origin)) {
        throw problem(
          'forbidden',
          403,
          'Not allowed',
          `requests from ${origin} are refused: no tokens are configured`,
        );
      }
      return { subject: 'local', roles: ['writer', 'auditor', 'admin'] };
    }
    const m = BEARER.exec(header ?? '');
    if (!m)
      throw problem(
        'unauthorized',
        401,
        'Authentication required',
        'send Authorization: Bearer <token>',
      );
    const found = this.find(m[1]!);
    if (!found)
      throw problem(
        'unauthorized',
        401,
        'Authentication required',
        'the bearer token is not valid',
      );
    return found;
  }

  /**
   * The subject a request is counted against (rate limits): that of a valid token, however the
   * header spells it; null for anything else (no token, an unknown one, a malformed header), and
   * with no tokens configured.
   */
  subjectOf(header: string | undefined): string | null {
    if (this.open) return null;
    const m = BEARER.exec(header ?? '');
    return m ? (this.find(m[1]!)?.subject ?? null) : null;
  }

  private find(token: string): Principal | null {
    const given = digest(token);
    let found: Principal | null = null;
    for (const x of this.tokens) if (timingSafeEqual(given, x.digest)) found = x.principal;
    return found;
  }

  /**
   * Refuses (403) a principal that holds none of the roles needed; the problem names them
   * (`rolesNeeded`) beside those the principal has (`roles`). `what`: the request, in words.
   */
  authorize(p: Principal, needed: RoleNeeded, what?: string): void {
    if (!allows(p, needed)) {
      throw problem('forbidden', 403, 'Not allowed', refusalOf(p, needed, what), {
        rolesNeeded: rolesNeeded(needed),
        roles: p.roles,
      });
    }
  }
}
