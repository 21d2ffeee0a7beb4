/**
 * Starts a gRPC server with the given evonorm services plus gRPC health checking and server
 * reflection (so `grpcurl list` shows every RPC), with message-size limits, optional TLS (mutual
 * with a client CA: only clients with a certificate it signed are served), and a graceful
 * shutdown that lets in-flight calls finish for a grace period, then cancels them.
 */
import { readFileSync } from 'node:fs';
import { Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer, loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { createRequire } from 'node:module';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { descriptorSetPath } from '@evonorm/contracts';
import type { ServerConfig } from './config.js';
import { serverCredentials } from './credentials.js';
import { tolerantDefinition } from './handlers.js';
import type { Logger } from './logger.js';

export interface ServiceBinding {
  /** Full name, e.g. "evonorm.v1.MutationService", for health status. */
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

export interface RunningServer {
  readonly port: number;
  readonly address: string;
  readonly health: HealthImplementation;
  /** Stops accepting calls, waits up to `graceMs` for in-flight ones, then cancels the rest. */
  shutdown(graceMs?: number): Promise<void>;
}

export async function startServer(config: ServerConfig, services: readonly ServiceBinding[], logger: Logger): Promise<RunningServer> {
  const server = new Server({
    'grpc.max_receive_message_length': config.maxMessageBytes,
    'grpc.max_send_message_length': config.maxMessageBytes,
  });
  for (const s of services) server.addService(tolerantDefinition(s.definition), s.implementation);
  const health = new HealthImplementation(Object.fromEntries([['', 'SERVING'], ...services.map((s) => [s.name, 'SERVING'])]));
  health.addToServer(server);
  const reflection = new ReflectionService(reflectedPackage(services.map((s) => s.name)));
  reflection.addToServer(server);
  const credentials = serverCredentials(config);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${config.host}:${config.port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  const address = `${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.log('info', 'listening', { address, services: services.map((s) => s.name), tls: config.tlsClientCa ? 'mutual' : Boolean(config.tlsCert) });
  return {
    port,
    address,
    health,
    shutdown: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        for (const s of services) health.setStatus(s.name, 'NOT_SERVING');
        const timer = setTimeout(() => {
          logger.log('warn', 'grace period over; cancelling in-flight calls', { graceMs });
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/**
 * The package definition reflection serves: the services this server hosts (each from its own
 * descriptor set, so the other services are not listed), their messages, and gRPC health.
 */
function reflectedPackage(hosted: readonly string[]): PackageDefinition {
  const require = createRequire(import.meta.url);
  const health = loadSync((require('grpc-health-check') as { protoPath: string }).protoPath);
  const sets = hosted.map((name) => loadFileDescriptorSetFromBuffer(readFileSync(descriptorSetPath(name))));
  return Object.assign({}, ...sets, health) as PackageDefinition;
}

/**
 * Shuts down on SIGTERM or SIGINT and exits 0 (1 if shutdown itself fails). With
 * EVONORM_EXIT_WITH_PARENT=1 (set by `evonorm search` for the services it starts) it also exits
 * when its parent process is gone, so a killed search leaves no orphans behind.
 */
export function exitOnSignals(running: RunningServer, logger: Logger, graceMs = 5000): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.log('info', 'shutting down', { signal });
    running.shutdown(graceMs).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (process.env.EVONORM_EXIT_WITH_PARENT === '1') {
    const parent = process.ppid;
    // An orphan is re-parented (to init or a subreaper), so its ppid changes.
    setInterval(() => process.ppid !== parent && stop('parent exited'), 500).unref();
  }
}
