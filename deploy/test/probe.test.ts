/**
 * deploy/health-probe.mjs, the pods' readiness probe, against a real server over mutual TLS: a
 * mutation service started with the EVONORM_TLS_* variables and the Secret layout the manifests
 * mount (tls.crt, tls.key, ca.crt; certificates made here with Debian's openssl), whose
 * certificate names the Service's DNS name, not the 127.0.0.1 the probe dials.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROBE = join(ROOT, 'deploy', 'health-probe.mjs');
const MUTATION = join(ROOT, 'services', 'mutation', 'dist', 'src', 'main.js');

/** A CA and one certificate it signed for both usages, in the layout of a cert-manager Secret. */
function secretDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'evonorm-secret-'));
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(join(dir, 'ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:mutation.evonorm.svc.cluster.local\nextendedKeyUsage=serverAuth,clientAuth\n');
  openssl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=evonorm-ca');
  openssl('req', ...key, '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=mutation.evonorm.svc.cluster.local');
  openssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '1', '-days', '2', '-extfile', 'ext', '-out', 'tls.crt');
  return dir;
}

function start(env: NodeJS.ProcessEnv): Promise<{ port: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MUTATION, '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on \S+:(\d+)/.exec(out);
      if (match) resolve({ port: match[1]!, child });
    });
    child.on('exit', (code) => reject(new Error(`mutation exited with ${code}: ${err}`)));
  });
}

const probe = (env: NodeJS.ProcessEnv, ...args: string[]) => spawnSync(process.execPath, [PROBE, ...args], { env, encoding: 'utf8', timeout: 20_000 });

describe('the readiness probe (deploy/health-probe.mjs)', () => {
  let dir: string;
  let server: { port: string; child: ChildProcess };
  let tlsEnv: NodeJS.ProcessEnv;

  before(async () => {
    dir = secretDir();
    tlsEnv = { ...process.env, EVONORM_TLS_CERT: join(dir, 'tls.crt'), EVONORM_TLS_KEY: join(dir, 'tls.key'), EVONORM_TLS_CLIENT_CA: join(dir, 'ca.crt') };
    server = await start(tlsEnv);
  });
  after(() => {
    server?.child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports SERVING over the pod’s own mutual TLS, for the server and for its service', () => {
    for (const service of [[], ['evonorm.v1.MutationService']]) {
      const r = probe(tlsEnv, server.port, ...service);
      assert.equal(r.status, 0, r.stderr);
    }
  });

  it('fails without the pod’s certificate (the server refuses plaintext) and for an unknown service', () => {
    const { EVONORM_TLS_CERT: _c, EVONORM_TLS_KEY: _k, EVONORM_TLS_CLIENT_CA: _ca, ...plain } = tlsEnv;
    const refused = probe(plain, server.port);
    assert.equal(refused.status, 1);
    const unknown = probe(tlsEnv, server.port, 'evonorm.v1.NoSuchService');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /health evonorm\.v1\.NoSuchService/);
    assert.equal(probe(tlsEnv, 'x').status, 2);
  });
});
