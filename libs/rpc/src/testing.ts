/**
 * Helpers for integration tests: start a service as its own process on an ephemeral loopback
 * port, call unary RPCs as promises, send raw bytes, and ask health and reflection. Each client
 * here takes channel credentials (default plaintext; channelCredentials makes TLS ones).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Client, Metadata, type ChannelCredentials, loadPackageDefinition, makeGenericClientConstructor, type ServiceError, type status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { channelCredentials } from './credentials.js';

export interface SpawnedService {
  readonly address: string;
  readonly process: ChildProcess;
  readonly stderr: () => string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `node <script> --port 0 ...args` and waits for its "listening on host:port" line. */
export function spawnService(script: string, args: readonly string[] = [], timeoutMs = 15_000): Promise<SpawnedService> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start in ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({
          address: match[1]!,
          process: child,
          stderr: () => err,
          stop: (signal = 'SIGTERM') => {
            if (child.exitCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening: ${err}`));
    });
  });
}

export interface CallOutcome<T> {
  readonly code: status;
  readonly details: string;
  readonly response?: T;
}

type UnaryMethod<Req, Res> = (request: Req, metadata: unknown, options: { deadline: Date }, callback: (error: ServiceError | null, response: Res) => void) => unknown;

/** Calls a unary method of a generated client; resolves with the status instead of throwing. */
export function callUnary<Req, Res>(client: Client, method: string, request: Req, deadlineMs = 10_000): Promise<CallOutcome<Res>> {
  const fn = (client as unknown as Record<string, UnaryMethod<Req, Res>>)[method]!.bind(client);
  return new Promise((resolve) => {
    fn(request, new Metadata(), { deadline: new Date(Date.now() + deadlineMs) }, (error, response) =>
      resolve(error ? { code: error.code, details: error.details } : { code: 0, details: '', response }),
    );
  });
}

const require = createRequire(import.meta.url);

/** Sends raw request bytes to `path` (e.g. "/evonorm.v1.MutationService/Mutate"). */
export function callRaw(address: string, path: string, bytes: Buffer, deadlineMs = 10_000, channel: ChannelCredentials = channelCredentials()): Promise<CallOutcome<Buffer>> {
  const identity = (b: Buffer): Buffer => b;
  const Ctor = makeGenericClientConstructor(
    { raw: { path, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    'Raw',
  );
  const client = new Ctor(address, channel);
  return callUnary<Buffer, Buffer>(client, 'raw', bytes, deadlineMs).finally(() => client.close());
}

/** Sends raw request bytes to a server-streaming method; resolves with the final status and message count. */
export function callRawStream(address: string, path: string, bytes: Buffer, deadlineMs = 10_000, channel: ChannelCredentials = channelCredentials()): Promise<CallOutcome<number>> {
  const identity = (b: Buffer): Buffer => b;
  const Ctor = makeGenericClientConstructor(
    { raw: { path, requestStream: false, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    'RawStream',
  );
  const client = new Ctor(address, channel);
  return new Promise<CallOutcome<number>>((resolve) => {
    let messages = 0;
    const call = (client as unknown as { raw: (b: Buffer, m: Metadata, o: { deadline: Date }) => NodeJS.EventEmitter }).raw(bytes, new Metadata(), {
      deadline: new Date(Date.now() + deadlineMs),
    });
    call.on('data', () => messages++);
    call.on('error', (e: ServiceError) => resolve({ code: e.code, details: e.details, response: messages }));
    call.on('end', () => resolve({ code: 0, details: '', response: messages }));
  }).finally(() => client.close());
}

/** The health status of `service` ('' for the whole server). */
export async function healthStatus(address: string, service: string, channel: ChannelCredentials = channelCredentials()): Promise<string> {
  const { protoPath } = require('grpc-health-check') as { protoPath: string };
  const pkg = loadPackageDefinition(loadSync(protoPath, { enums: String })) as unknown as { grpc: { health: { v1: { Health: new (a: string, c: unknown) => Client } } } };
  const client = new pkg.grpc.health.v1.Health(address, channel);
  const out = await callUnary<{ service: string }, { status: string }>(client, 'check', { service });
  client.close();
  if (out.code !== 0) throw new Error(`health check failed: ${out.details}`);
  return out.response!.status;
}

/** Services listed by server reflection (v1), as grpcurl list shows them. */
export async function reflectionServices(address: string, channel: ChannelCredentials = channelCredentials()): Promise<string[]> {
  const protoFile = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');
  const pkg = loadPackageDefinition(loadSync(protoFile)) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: new (a: string, c: unknown) => Client } } };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, channel);
  const stream = (client as unknown as { serverReflectionInfo: () => NodeJS.ReadWriteStream & { write(m: unknown): void; end(): void } }).serverReflectionInfo();
  const names = await new Promise<string[]>((resolve, reject) => {
    stream.on('data', (message: { listServicesResponse?: { service: Array<{ name: string }> } }) => {
      resolve(message.listServicesResponse?.service.map((s) => s.name) ?? []);
      stream.end();
    });
    stream.on('error', reject);
    stream.write({ listServices: '' });
  });
  client.close();
  return names.sort();
}
