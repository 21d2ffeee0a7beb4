/**
 * Server configuration from flags and environment (flags win): address, TLS files, limits.
 *   --host 127.0.0.1 --port 0 --tls-cert f --tls-key f --max-message-bytes n --log-level info
 *   EVONORM_HOST, EVONORM_PORT, EVONORM_TLS_CERT, EVONORM_TLS_KEY, EVONORM_MAX_MESSAGE_BYTES, EVONORM_LOG_LEVEL
 */
import { parseArgs } from 'node:util';
import type { LogLevel } from './logger.js';

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly maxMessageBytes: number;
  readonly logLevel: LogLevel;
  /** Flags the service defines itself, as strings. */
  readonly extra: Readonly<Record<string, string | undefined>>;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export function serverConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  defaults: { port: number },
  extraFlags: readonly string[] = [],
): ServerConfig {
  const options: Record<string, { type: 'string' }> = {};
  for (const f of ['host', 'port', 'tls-cert', 'tls-key', 'max-message-bytes', 'log-level', ...extraFlags]) options[f] = { type: 'string' };
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true }).values as Record<string, string | undefined>;
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const pick = (flag: string): string | undefined => values[flag] ?? env[`EVONORM_${flag.toUpperCase().replace(/-/g, '_')}`];
  const port = Number(pick('port') ?? defaults.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be an integer in 0..65535, got ${pick('port')}`);
  const maxMessageBytes = Number(pick('max-message-bytes') ?? DEFAULT_MAX_MESSAGE_BYTES);
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1024) throw new ConfigError('--max-message-bytes must be an integer ≥ 1024');
  const logLevel = (pick('log-level') ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) throw new ConfigError('--log-level must be debug, info, warn or error');
  const tlsCert = pick('tls-cert');
  const tlsKey = pick('tls-key');
  if (Boolean(tlsCert) !== Boolean(tlsKey)) throw new ConfigError('TLS needs both --tls-cert and --tls-key');
  const extra: Record<string, string | undefined> = {};
  for (const f of extraFlags) extra[f] = pick(f);
  return {
    host: pick('host') ?? '127.0.0.1',
    port,
    maxMessageBytes,
    logLevel,
    extra,
    ...(tlsCert ? { tlsCert } : {}),
    ...(tlsKey ? { tlsKey } : {}),
  };
}
