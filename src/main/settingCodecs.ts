import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { parseTokens, type TokenConfig, TokensConfig } from '../api/http/auth.js';
import { CodexHome } from '../codex/codexHome.js';
import { parseVerifierKey, type VerifierKey } from '../evidence/signedNote.js';
import { nodeEvidenceCrypto } from '../io/evidence/nodeEvidenceCrypto.js';
import { readSigningKey } from '../io/evidence/signingKey.js';
import { MIN_KEY_SERVICE_TOKEN } from '../io/keys/keyServiceWire.js';
import { connectionStringProblem } from '../store/esdb/esdbEventStore.js';

/**
 * The codecs of single settings, from what the operator wrote to its value: each refusal is a
 * message naming the setting. The configuration (config.ts) is built of them.
 */

/** A setting written as text, parsed by `parse`; its refusal is the message `parse` gives. */
export const fromText = <A>(
  name: string,
  is: (u: unknown) => u is A,
  parse: (text: string) => E.Either<string, A>,
): t.Type<A, unknown> =>
  new t.Type<A, unknown>(
    name,
    is,
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c, `${name} must be text`);
      const r = parse(u);
      return E.isLeft(r) ? t.failure(u, c, r.left) : t.success(r.right);
    },
    (a) => a,
  );

/** `codec`, or undefined when the setting is not given. */
export const optional = <A>(codec: t.Type<A, unknown>): t.Type<A | undefined, unknown> =>
  new t.Type<A | undefined, unknown>(
    `${codec.name}?`,
    (u): u is A | undefined => u === undefined || codec.is(u),
    (u, c) => (u === undefined ? t.success(undefined) : codec.validate(u, c)),
    (a) => a,
  );

/** `codec`, then a rule over the whole value: a message refuses it. */
export const checked = <C extends t.Mixed>(
  codec: C,
  rule: (a: t.TypeOf<C>) => string | undefined,
): t.Type<t.TypeOf<C>, t.OutputOf<C>> =>
  new t.Type<t.TypeOf<C>, t.OutputOf<C>>(
    codec.name,
    codec.is,
    (u, c) =>
      E.chain((a: t.TypeOf<C>) => {
        const refused = rule(a);
        return refused === undefined ? t.success(a) : t.failure(u, c, refused);
      })(codec.validate(u, c)),
    codec.encode,
  );

const isNumber = (u: unknown): u is number => typeof u === 'number';
const isString = (u: unknown): u is string => typeof u === 'string';

/**
 * What stands in the way of a folder at `path`: a file there or on the way to it (undefined if
 * nothing does: it is a folder, or can be made one). Nothing is created here.
 */
const notAFolder = (path: string): string | undefined => {
  for (let at = path; ; at = dirname(at)) {
    try {
      const isDir = statSync(at).isDirectory();
      if (isDir) return undefined;
      return at === path ? `${path} is a file, not a folder` : `${at} is a file, not a folder`;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        return `cannot use ${path}: ${(err as Error).message}`;
      if (dirname(at) === at) return undefined;
    }
  }
};

/**
 * A folder, made absolute against the working directory: refused when a file stands where it is
 * (or on its way), not created (whoever opens it does).
 */
export const Folder = (setting: string) =>
  fromText(setting, isString, (text) => {
    const path = resolve(text);
    const refused = notAFolder(path);
    return refused === undefined ? E.right(path) : E.left(`${setting}: ${refused}`);
  });

export const Port = fromText('PORT', isNumber, (text) => {
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 65535
    ? E.right(n)
    : E.left(`PORT must be an integer from 0 to 65535, got "${text}"`);
});

export const positiveInteger = (name: string, meaning?: string) =>
  fromText(name, isNumber, (text) =>
    /^[1-9]\d*$/.test(text)
      ? E.right(Number(text))
      : E.left(
          `${name} must be a positive integer${meaning ? ` (${meaning})` : ''}, got "${text}"`,
        ),
  );

/** The contents of the PEM file the setting `name` names. */
export const pemFile = (name: string) =>
  fromText(name, Buffer.isBuffer, (file) => {
    try {
      return E.right(readFileSync(file));
    } catch (err) {
      return E.left(`${name}: cannot read ${file}: ${(err as Error).message}`);
    }
  });

/** KEY_SERVICE_TOKEN: required by the key service and by every instance that uses it. */
export const KeyServiceToken = fromText('KEY_SERVICE_TOKEN', isString, (token) =>
  token.length >= MIN_KEY_SERVICE_TOKEN
    ? E.right(token)
    : E.left(
        `KEY_SERVICE_TOKEN must be set, at least ${MIN_KEY_SERVICE_TOKEN} characters (it guards the content keys)`,
      ),
);

export const KeyServiceUrl = fromText('KEY_SERVICE_URL', isString, (url) =>
  /^https?:\/\/[^/]+/.test(url)
    ? E.right(url)
    : E.left(`KEY_SERVICE_URL must be an http:// or https:// URL, got "${url}"`),
);

/** The log on EventStoreDB / KurrentDB: a connection string its client reads. */
export const EventStoreConnection = fromText('EVENTSTORE_CONNECTION_STRING', isString, (text) => {
  const problem = connectionStringProblem(text);
  return problem === null
    ? E.right(text)
    : E.left(`EVENTSTORE_CONNECTION_STRING is not valid: ${problem}`);
});

/** `LEDGER_LOG=off` silences the request log; anything else leaves it on. */
export const LogSwitch = new t.Type<boolean, unknown>(
  'LEDGER_LOG',
  (u): u is boolean => typeof u === 'boolean',
  (u) => t.success(u !== 'off'),
  (a) => a,
);

/** Bearer tokens: LEDGER_TOKENS (JSON), or the JSON file LEDGER_TOKENS_FILE names; none if neither. */
export const Tokens = new t.Type<TokenConfig[], unknown>(
  'LEDGER_TOKENS',
  TokensConfig.is,
  (u, c) => {
    const given = u as { json?: string; file?: string };
    let json = given.json;
    if (json === undefined && given.file !== undefined) {
      try {
        json = readFileSync(given.file, 'utf8');
      } catch (err) {
        return t.failure(
          u,
          c,
          `LEDGER_TOKENS_FILE: cannot read ${given.file}: ${(err as Error).message}`,
        );
      }
    }
    if (json === undefined || json.trim() === '') return t.success([]);
    const r = parseTokens(json);
    return E.isLeft(r) ? t.failure(u, c, r.left) : t.success(r.right);
  },
  (a) => a,
);

export const CodexHomeC = new t.Type<CodexHome, unknown>(
  'CodexHome',
  (u): u is CodexHome => u instanceof CodexHome,
  (u, c) => (u instanceof CodexHome ? t.success(u) : t.failure(u, c)),
  (a) => a,
);

/**
 * LEDGER_SIGNING_KEY_FILE: the checkpoint signing key, read and checked at start (a file that
 * cannot be read or is not a signing key is refused before anything is opened); its absolute path.
 */
export const SigningKeyFile = fromText('LEDGER_SIGNING_KEY_FILE', isString, (text) => {
  const file = resolve(text);
  try {
    readSigningKey(file);
    return E.right(file);
  } catch (err) {
    return E.left(`LEDGER_SIGNING_KEY_FILE: ${(err as Error).message}`);
  }
});

/** A file read whole as UTF-8 text: the setting `name` names it; refused when it cannot be read. */
export const textFile = (name: string) =>
  fromText(
    name,
    (u): u is { file: string; text: string } =>
      typeof u === 'object' && u !== null && 'file' in u && 'text' in u,
    (file) => {
      try {
        return E.right({ file, text: readFileSync(file, 'utf8') });
      } catch (err) {
        return E.left(
          `${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        );
      }
    },
  );

/** A signed-note verifier key (`<name>+<key id hex>+<base64>`) in the file the setting names. */
export const verifierKeyFile = (name: string) =>
  fromText(
    name,
    (u): u is VerifierKey => typeof u === 'object' && u !== null && 'publicKey' in u,
    (file) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        return E.left(
          `${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        );
      }
      const key = parseVerifierKey(nodeEvidenceCrypto, text.length > 4096 ? '' : text);
      return typeof key === 'string'
        ? E.left(`${name}: ${file} is not a verifier key: ${key}`)
        : E.right(key);
    },
  );
