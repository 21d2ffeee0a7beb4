/**
 * TLS for both ends of a channel, from file paths: `channelCredentials` for every client of the
 * suite (the search, its backend, the rejection service's training pool and selection lookup, the
 * CLI's history readers, the test clients) and `serverCredentials` for startServer. Clients take
 * --tls-ca --tls-cert --tls-key (EVONORM_TLS_CA, EVONORM_TLS_CERT, EVONORM_TLS_KEY): none given is
 * plaintext; a CA alone verifies the server; a certificate and key also identify the client, as
 * servers started with --tls-client-ca require.
 */
import { readFileSync } from 'node:fs';
import { ChannelCredentials, ServerCredentials, credentials } from '@grpc/grpc-js';
import type { ServerConfig } from './config.js';
import { FlagError, defineFlags } from './flags.js';

/** Paths of a client's TLS files. */
export interface ClientTls {
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

/** The client flags, for commands that call remote services. */
export const CLIENT_TLS_FLAGS = defineFlags({
  'tls-ca': { type: 'string', placeholder: 'ca.pem', description: 'TLS to the services: trust servers this CA signed (else the system roots)' },
  'tls-cert': { type: 'string', placeholder: 'cert.pem', description: 'TLS client certificate, for servers that require one (--tls-client-ca)' },
  'tls-key': { type: 'string', placeholder: 'key.pem', description: 'private key of --tls-cert' },
});

/** The ClientTls of parsed CLIENT_TLS_FLAGS values. */
export function clientTlsOf(values: { 'tls-ca'?: string | undefined; 'tls-cert'?: string | undefined; 'tls-key'?: string | undefined }): ClientTls {
  return { ca: values['tls-ca'], cert: values['tls-cert'], key: values['tls-key'] };
}

export function usesTls(tls: ClientTls | undefined): boolean {
  return Boolean(tls && (tls.ca || tls.cert || tls.key));
}

function read(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new FlagError(`${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/**
 * Channel credentials from TLS files (insecure when none is given). `flag` names the flags in
 * errors, e.g. "--client-tls" for the rejection service's outgoing calls.
 */
export function channelCredentials(tls: ClientTls = {}, flag = '--tls'): ChannelCredentials {
  if (!usesTls(tls)) return credentials.createInsecure();
  if (Boolean(tls.cert) !== Boolean(tls.key)) throw new FlagError(`a client certificate needs both ${flag}-cert and ${flag}-key`);
  return credentials.createSsl(tls.ca ? read(tls.ca, `${flag}-ca`) : null, tls.key ? read(tls.key, `${flag}-key`) : null, tls.cert ? read(tls.cert, `${flag}-cert`) : null);
}

/** Server credentials: plaintext, TLS, or mutual TLS when the config names a client CA. */
export function serverCredentials(config: Pick<ServerConfig, 'tlsCert' | 'tlsKey' | 'tlsClientCa'>): ServerCredentials {
  if (!config.tlsCert || !config.tlsKey) return ServerCredentials.createInsecure();
  const pair = { cert_chain: read(config.tlsCert, '--tls-cert'), private_key: read(config.tlsKey, '--tls-key') };
  const clientCa = config.tlsClientCa ? read(config.tlsClientCa, '--tls-client-ca') : null;
  return ServerCredentials.createSsl(clientCa, [pair], clientCa !== null);
}
