import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Pem = { cert: Buffer; key: Buffer };
export type TestPki = {
  ca: Buffer;
  server: Pem;
  client: Pem;
  strangerCa: Buffer;
  stranger: Pem;
  files: Record<string, string>;
};

const openssl = (dir: string, ...args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A CA with a server certificate for 127.0.0.1/localhost and a client certificate; and a second, unrelated CA with a client of its own. */
export const makeTestPki = (dir: string): TestPki => {
  const ca = (name: string) => {
    openssl(
      dir,
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
    );
  };
  const leaf = (name: string, caName: string, ext: string) => {
    openssl(
      dir,
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
    );
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${caName}.crt`,
      '-CAkey',
      `${caName}.key`,
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    );
  };
  ca('ca');
  ca('stranger-ca');
  leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  leaf('stranger', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string) => readFileSync(join(dir, f));
  const pem = (name: string): Pem => ({ cert: read(`${name}.crt`), key: read(`${name}.key`) });
  const files = Object.fromEntries(
    ['ca.crt', 'server.crt', 'server.key', 'client.crt', 'client.key'].map((f) => [
      f,
      join(dir, f),
    ]),
  );
  return {
    ca: read('ca.crt'),
    server: pem('server'),
    client: pem('client'),
    strangerCa: read('stranger-ca.crt'),
    stranger: pem('stranger'),
    files,
  };
};
