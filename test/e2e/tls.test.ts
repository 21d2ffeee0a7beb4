/**
 * Mutual TLS across the suite: the four services started as processes with a server certificate
 * and a client CA (--tls-cert --tls-key --tls-client-ca; the mutation service from EVONORM_TLS_*
 * instead), the rejection service calling training with its own certificate, and `evonorm search`
 * with remote addresses and --tls-ca --tls-cert --tls-key running a tiny search end to end.
 * Plaintext clients, clients without a certificate and clients with one from another CA are
 * refused; a client the CA signed is served.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { channelCredentials, healthStatus, spawnService, type SpawnedService } from '@evonorm/rpc';
import { mainScript } from '@evonorm/search';
import { makeCertificates, type TestCertificates } from './certs.js';
import { TINY_FLAGS, cli, storedHistory } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'evonorm-tls-'));
const flag = (name: string): string => TINY_FLAGS[TINY_FLAGS.indexOf(`--${name}`) + 1]!;

describe('mutual TLS', () => {
  let certs: TestCertificates;
  let serverTls: string[];
  const services: SpawnedService[] = [];
  let selection: SpawnedService;
  let mutation: SpawnedService;
  let rejection: SpawnedService;
  let training: SpawnedService;

  before(async () => {
    certs = makeCertificates();
    serverTls = ['--tls-cert', certs.serverCert, '--tls-key', certs.serverKey, '--tls-client-ca', certs.ca];
    training = await spawnService(mainScript('training'), [...serverTls, '--threads', '1']);
    services.push(training);
    // The rejection service calls training with its server certificate, trusting --tls-client-ca.
    rejection = await spawnService(mainScript('rejection'), [...serverTls, '--training-address', training.address, '--dataset', 'synthetic', '--threads', '1']);
    services.push(rejection);
    selection = await spawnService(mainScript('selection'), [
      ...serverTls,
      '--db',
      join(root, 'selection.sqlite'),
      '--population',
      flag('population'),
      '--tournament-fraction',
      flag('tournament-fraction'),
      '--architectures',
      flag('architectures'),
      '--dataset',
      flag('dataset'),
      '--seed',
      '3',
    ]);
    services.push(selection);
    const env = { EVONORM_TLS_CERT: certs.serverCert, EVONORM_TLS_KEY: certs.serverKey, EVONORM_TLS_CLIENT_CA: certs.ca };
    Object.assign(process.env, env);
    try {
      mutation = await spawnService(mainScript('mutation'));
    } finally {
      for (const name of Object.keys(env)) delete process.env[name];
    }
    services.push(mutation);
  });

  after(async () => {
    for (const s of services) if (s.process.exitCode === null) await s.stop('SIGKILL');
  });

  it('refuses plaintext clients, clients without a certificate and clients from another CA', async () => {
    const refused = [
      ['plaintext', channelCredentials()],
      ['no client certificate', channelCredentials({ ca: certs.ca })],
      ['certificate from another CA', channelCredentials({ ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey })],
    ] as const;
    for (const service of [mutation, selection, rejection, training]) {
      for (const [what, channel] of refused) {
        await assert.rejects(healthStatus(service.address, '', channel), /health check failed/, `${what} at ${service.address}`);
      }
    }
  });

  it('serves a client whose certificate the CA signed', async () => {
    const signed = channelCredentials({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
    for (const service of [mutation, selection, rejection, training]) assert.equal(await healthStatus(service.address, '', signed), 'SERVING');
  });

  it('runs a tiny search end to end over mutual TLS', () => {
    const dir = join(root, 'run');
    const remote = ['--selection', selection.address, '--mutation', mutation.address, '--rejection', rejection.address, '--training', training.address];
    const tls = ['--tls-ca', certs.ca, '--tls-cert', certs.clientCert, '--tls-key', certs.clientKey];
    const r = cli('search', '--dir', dir, ...TINY_FLAGS, '--seed', '3', '--candidates', '6', '--json', ...remote, ...tls);
    assert.equal(r.code, 0, r.stderr);
    const stop = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; candidates?: number })
      .find((e) => e.type === 'stop');
    assert.equal(stop?.candidates, 6);
    const history = storedHistory(join(root, 'selection.sqlite'));
    assert.equal(history.length, 6);
    assert.ok(
      history.some((c) => c.fitness),
      'some candidate was trained and evaluated over TLS',
    );
    assert.ok(
      history.some((c) => c.rejection?.scores.length || c.fitness),
      'quality tests went through rejection to training',
    );
  });

  it('explains TLS flags given to the embedded default, and a missing certificate file', () => {
    const embedded = cli('search', '--dir', join(root, 'embedded'), ...TINY_FLAGS, '--candidates', '1', '--tls-ca', certs.ca);
    assert.equal(embedded.code, 2);
    assert.match(embedded.stderr, /^evonorm: --tls-ca is for remote services/);
    const missing = cli(
      'search',
      '--dir',
      join(root, 'missing'),
      ...TINY_FLAGS,
      '--candidates',
      '1',
      '--selection',
      selection.address,
      '--mutation',
      mutation.address,
      '--rejection',
      rejection.address,
      '--training',
      training.address,
      '--tls-ca',
      join(root, 'nope.pem'),
    );
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--tls-ca .*nope\.pem: cannot read it \(ENOENT\)/);
  });
});
