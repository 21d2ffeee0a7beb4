/**
 * Test certificates made at test time with Debian's `openssl` CLI: a CA, a server certificate for
 * 127.0.0.1/localhost and a client certificate it signed, and a client certificate from another CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Signed by a CA the servers do not trust. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'evonorm-certs-'));
  const p = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  writeFileSync(p('server.ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  writeFileSync(p('client.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  const ca = (name: string): void => openssl('req', '-x509', ...KEY, '-keyout', p(`${name}.key`), '-out', p(`${name}.pem`), '-days', '2', '-subj', `/CN=evonorm test ${name}`);
  const signed = (name: string, by: string, ext: string, serial: string): void => {
    openssl('req', ...KEY, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${name === 'server' ? 'localhost' : `evonorm ${name}`}`);
    openssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${by}.pem`), '-CAkey', p(`${by}.key`), '-set_serial', serial, '-days', '2', '-extfile', p(ext), '-out', p(`${name}.pem`));
  };
  ca('ca');
  ca('other-ca');
  signed('server', 'ca', 'server.ext', '1');
  signed('client', 'ca', 'client.ext', '2');
  signed('stranger', 'other-ca', 'client.ext', '3');
  return {
    dir,
    ca: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    strangerCert: p('stranger.pem'),
    strangerKey: p('stranger.key'),
  };
}
