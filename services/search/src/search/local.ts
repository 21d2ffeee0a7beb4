/**
 * The embedded default: every service as a child process on a loopback port — selection (with the
 * run's SQLite file), mutation, rejection, and the training replicas (one per core, or
 * --replicas-per-gpu per GPU with --ep cuda, each told its --device). A child that dies
 * is restarted on the same port with the same arguments (the search retries meanwhile), and its
 * stderr goes to <dir>/logs/<name>.log. They listen on 127.0.0.1 in plaintext whatever the
 * environment says (EVONORM_HOST and EVONORM_*TLS_* are not passed on).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Addresses } from './backend.js';
import type { SearchPlan } from './plan.js';
import type { ReplicaPlacement } from './replicas.js';

const require = createRequire(import.meta.url);

export interface LocalOptions {
  readonly dir: string;
  readonly plan: SearchPlan;
  /** How many training replicas, their threads and GPUs, and the rejection service's threads (replicas.ts). */
  readonly placement: ReplicaPlacement;
  readonly fashionMnistDir?: string;
  readonly cifar10Dir?: string;
  /** Told when a child exits unexpectedly and is restarted. */
  readonly onRestart?: (name: string, code: number | null, signal: string | null) => void;
}

export interface LocalService {
  readonly name: string;
  readonly address: string;
  /** The running process (changes when the service is restarted). */
  readonly pid: () => number | undefined;
}

export interface LocalServices {
  readonly addresses: Addresses;
  readonly services: readonly LocalService[];
  stop(): Promise<void>;
}

export function mainScript(service: 'selection' | 'mutation' | 'rejection' | 'training'): string {
  return require.resolve(`@evonorm/${service}/dist/src/main.js`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The environment without what would take a local service off plaintext loopback. */
function loopbackEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => name !== 'EVONORM_HOST' && !/^EVONORM_(CLIENT_)?TLS_/.test(name)));
}

class Supervised {
  private child?: ChildProcess;
  private stopping = false;
  private restarts = 0;

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly args: readonly string[],
    private readonly log: WriteStream,
    private readonly onRestart?: LocalOptions['onRestart'],
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the child and resolves with its address once it listens. */
  start(): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [this.script, ...this.args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...loopbackEnv(process.env), EVONORM_EXIT_WITH_PARENT: '1' } });
      this.child = child;
      let out = '';
      let listening = false;
      child.stderr!.pipe(this.log, { end: false });
      child.stdout!.on('data', (d: Buffer) => {
        if (listening) return;
        out += d.toString();
        const match = /listening on (\S+)/.exec(out);
        if (match) {
          listening = true;
          resolve(match[1]!);
        }
      });
      child.on('exit', (code, signal) => {
        if (!listening) {
          reject(new Error(`the ${this.name} service exited (${signal ?? code}) before listening; see its log`));
          return;
        }
        if (this.stopping) return;
        if (++this.restarts > 20) {
          this.log.write(`${this.name}: exited ${this.restarts} times, not restarting\n`);
          return;
        }
        this.onRestart?.(this.name, code, signal);
        setTimeout(() => {
          if (!this.stopping) this.start().catch((e: Error) => this.log.write(`${this.name}: restart failed: ${e.message}\n`));
        }, 300);
      });
    });
  }

  stop(): Promise<void> {
    this.stopping = true;
    return this.child ? stopChild(this.child) : Promise.resolve();
  }
}

/** SIGTERM (the services' graceful shutdown), then SIGKILL after 5 s; resolves once the child has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The selection service's flags for a search's plan, on the SQLite file `db`. */
export function selectionFlags(plan: SearchPlan, db: string): string[] {
  return [
    '--db',
    db,
    '--population',
    String(plan.population),
    '--tournament-fraction',
    String(plan.tournamentFraction),
    '--criterion',
    plan.criterion,
    '--objectives',
    plan.objectives.join(','),
    '--architectures',
    plan.architectures.join(','),
    '--dataset',
    plan.dataset,
    '--batch-independent',
    String(plan.batchIndependent),
    '--seed',
    String(plan.seed),
  ];
}

/** A training replica's dataset folder flags. */
export function datasetFlags(dirs: { readonly fashionMnistDir?: string; readonly cifar10Dir?: string }): string[] {
  return [...(dirs.fashionMnistDir ? ['--fashion-mnist-dir', dirs.fashionMnistDir] : []), ...(dirs.cifar10Dir ? ['--cifar10-dir', dirs.cifar10Dir] : [])];
}

export async function startLocalServices(options: LocalOptions): Promise<LocalServices> {
  const logs = join(options.dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const { plan } = options;
  const started: Supervised[] = [];
  const launch = async (name: string, script: string, args: string[]): Promise<LocalService> => {
    const port = await freePort();
    const supervised = new Supervised(
      name,
      script,
      ['--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn', ...args],
      createWriteStream(join(logs, `${name}.log`), { flags: 'a' }),
      options.onRestart,
    );
    started.push(supervised);
    const address = await supervised.start();
    return { name, address, pid: () => supervised.pid };
  };
  try {
    const selection = await launch('selection', mainScript('selection'), selectionFlags(plan, join(options.dir, 'search.sqlite')));
    const mutation = await launch('mutation', mainScript('mutation'), []);
    const { placement } = options;
    const training = await Promise.all(
      Array.from({ length: placement.replicas }, (_, r) =>
        launch(`training-${r + 1}`, mainScript('training'), [
          '--max-concurrent',
          '1',
          '--max-queued',
          '256',
          '--threads',
          String(placement.threadsPerReplica),
          ...(placement.ep === 'cuda' ? ['--ep', 'cuda', '--device', String(placement.devices?.[r] ?? 0)] : []),
          ...datasetFlags(options),
        ]),
      ),
    );
    const trainingAddresses = training.map((t) => t.address).join(',');
    const rejection = await launch('rejection', mainScript('rejection'), [
      '--training-address',
      trainingAddresses,
      '--training-slots',
      '1',
      '--dataset',
      plan.dataset === 'synthetic' ? 'synthetic' : 'fashion_mnist',
      '--threads',
      String(placement.rejectionThreads),
    ]);
    return {
      addresses: { selection: selection.address, mutation: mutation.address, rejection: rejection.address, training: trainingAddresses },
      services: [selection, mutation, rejection, ...training],
      stop: async () => {
        await Promise.all(started.map((s) => s.stop()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    throw error;
  }
}
