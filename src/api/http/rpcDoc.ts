import { Role, type RoleNeeded } from './auth.js';
import { jsonSchemaOf } from './jsonSchema.js';
import { Problem } from './responses.js';
import { PROBLEM_JSON, rolesAllowed, rolesSentence, securityOf } from './routeSchema.js';

/** The JSON-RPC methods `/rpc` answers (those of `thread-ledger app-server`), and what each does. */
const METHODS: Record<string, string> = {
  initialize: 'the handshake: the server’s name and version',
  'thread/list': 'a page of threads (Codex’s `thread/list`: filters, sorting, cursors)',
  'thread/read': 'one thread, with its turns if asked (`includeTurns`)',
  'thread/archive': 'archive a thread and its spawned descendants',
  'thread/unarchive': 'unarchive a thread and its spawned descendants',
  'thread/name/set': 'rename a thread',
  'thread/delete': 'delete a thread and its subtree (tombstones now, purge after)',
};

/** The notifications every connected client gets. */
const NOTIFICATIONS = [
  'thread/archived',
  'thread/unarchived',
  'thread/name/updated',
  'thread/deleted',
];

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_JSON]: { schema: jsonSchemaOf(Problem) } },
});

/**
 * The OpenAPI description of `GET /rpc`: the WebSocket handshake, the JSON-RPC methods it speaks
 * and the role each needs (from the very check the socket runs: `roleOf`), its notifications.
 */
export const rpcSchema = (
  roleOf: (method: string) => RoleNeeded | null,
): Record<string, unknown> => {
  const methodRoles = Object.fromEntries(
    Object.keys(METHODS).map((m) => {
      const role = roleOf(m);
      return [m, role === null ? [] : rolesAllowed(role)];
    }),
  );
  // The handshake takes any valid token (`initialize` needs no role); each method, its own.
  const anyRole = Object.keys(Role.keys) as Role[];
  const lines = Object.entries(METHODS).map(([m, what]) => {
    const roles = methodRoles[m]!;
    const who = roles.length === 0 ? 'any valid token' : roles.map((r) => `\`${r}\``).join(' or ');
    return `- \`${m}\`: ${what} (${who})`;
  });
  return {
    summary: 'The Codex thread JSON-RPC over WebSocket',
    description: [
      'A WebSocket (send `Connection: Upgrade`, `Upgrade: websocket`): the JSON-RPC 2.0 of ' +
        '`thread-ledger app-server`, Codex’s app-server protocol (Codex’s own shapes: epoch ' +
        'seconds, snake_case where Codex has it), one message per text frame. The bearer token ' +
        `is checked before the upgrade: ${rolesSentence(anyRole)} Each method then needs its role:`,
      '',
      ...lines,
      '',
      `Notifications, to every connected client: ${NOTIFICATIONS.map((n) => `\`${n}\``).join(', ')}.`,
      'A refused call answers a JSON-RPC error (`-32600` for a missing role, `-32602` for bad ' +
        'params). Frames over the size limit close the socket with 1009; a client that falls ' +
        '4 MiB behind its notifications is dropped. A plain GET (no Upgrade) is `426`.',
    ].join('\n'),
    tags: ['live'],
    headers: {
      type: 'object',
      properties: {
        upgrade: { type: 'string', const: 'websocket' },
        connection: { type: 'string', description: 'Upgrade' },
        'sec-websocket-key': { type: 'string' },
        'sec-websocket-version': { type: 'string', const: '13' },
      },
      required: ['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version'],
    },
    security: securityOf(anyRole),
    'x-roles': anyRole,
    'x-rpc-methods': methodRoles,
    response: {
      101: {
        description: 'Switching Protocols: the socket is open; JSON-RPC messages follow',
        type: 'null',
      },
      400: problem('A bad WebSocket handshake (`.../problems/bad-upgrade`)'),
      401: problem('No bearer token, or not a valid one (`.../problems/unauthorized`)'),
      426: problem('A plain GET, without `Upgrade: websocket` (`.../problems/upgrade-required`)'),
      '4XX': problem('Any other refusal, as a problem document (RFC 9457)'),
    },
  };
};
