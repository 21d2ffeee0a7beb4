/**
 * Server configuration, declared once for the shared flag parser (flags.ts) and spread into each
 * service's own flags: address, TLS (mutual with a client CA), limits, log level.
 *   --host 127.0.0.1 --port N --tls-cert f --tls-key f --tls-client-ca f --max-message-bytes n --log-level info
 * Each falls back to EVONORM_<FLAG> (EVONORM_HOST, EVONORM_PORT, EVONORM_TLS_CERT, ...); flags win.
 */
import { FlagError, defineFlags, type FlagValues } from './flags.js';
import type { LogLevel } from './logger.js';

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** With a client CA, only clients presenting a certificate it signed are served (mutual TLS). */
  readonly tlsClientCa?: string;
  readonly maxMessageBytes: number;
  readonly logLevel: LogLevel;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/**
 * The training service's and its clients' limit: a TrainRequest or TrainResult may carry a training
 * checkpoint (parameters, momenta and moving statistics; 1.4 MB for the main job's ResNet-v2 proxy,
 * 18 MB for a full-size MobileNetV2).
 */
export const TRAINING_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** The flags every service takes, with its default port (and message limit). */
export function serverFlags(defaultPort: number, defaultMaxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
  return defineFlags({
    help: { type: 'boolean', env: false, description: 'print this help and exit' },
    host: { type: 'string', default: '127.0.0.1', placeholder: 'address', description: 'address to listen on (0.0.0.0: every interface)' },
    port: { type: 'int', min: 0, max: 65535, default: defaultPort, description: 'port (0: any free port)' },
    'tls-cert': { type: 'string', placeholder: 'cert.pem', description: 'serve TLS with this certificate (chain), PEM' },
    'tls-key': { type: 'string', placeholder: 'key.pem', description: 'private key of --tls-cert, PEM' },
    'tls-client-ca': { type: 'string', placeholder: 'ca.pem', description: 'mutual TLS: serve only clients with a certificate this CA signed' },
    'max-message-bytes': { type: 'int', min: 1024, default: defaultMaxMessageBytes, description: 'largest message received or sent' },
    'log-level': { type: 'enum', values: LOG_LEVELS, default: 'info', description: 'JSON log lines on stderr from this level up' },
  });
}

type ServerFlagValues = FlagValues<ReturnType<typeof serverFlags>>;

/** The server part of parsed flags, checked as a whole (TLS files come in pairs). */
export function serverConfig(values: Omit<ServerFlagValues, 'help'>): ServerConfig {
  const { 'tls-cert': tlsCert, 'tls-key': tlsKey, 'tls-client-ca': tlsClientCa } = values;
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new FlagError('TLS needs both --tls-cert and --tls-key');
  if (tlsClientCa && !tlsCert) throw new FlagError('--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key too');
  return {
    host: values.host,
    port: values.port,
    maxMessageBytes: values['max-message-bytes'],
    logLevel: values['log-level'],
    ...(tlsCert ? { tlsCert } : {}),
    ...(tlsKey ? { tlsKey } : {}),
    ...(tlsClientCa ? { tlsClientCa } : {}),
  };
}
