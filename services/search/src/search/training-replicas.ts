/**
 * Training replicas alone, as child processes on loopback ports (plaintext), for commands that
 * train but run no search (evonorm rerank): one per core by default, each told its thread count
 * and dataset folders; stderr goes to <dir>/logs/<name>.log. A replica that dies is not restarted:
 * the training pool moves its calls to the others.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { datasetFlags, freePort, mainScript, stopChild } from './local.js';

export interface ReplicaOptions {
  /** Logs go to <dir>/logs/<prefix>-<n>.log. */
  readonly dir: string;
  readonly prefix: string;
  readonly replicas: number;
  readonly threadsPerReplica: number;
  /** --ep cuda: each replica trains on GPU `device` (default: the CPU). */
  readonly ep?: 'cpu' | 'cuda';
  readonly device?: number;
  readonly fashionMnistDir?: string;
  readonly cifar10Dir?: string;
}

export interface StartedReplicas {
  /** "host:port,host:port,..." for a TrainingPool. */
  readonly addresses: string;
  stop(): Promise<void>;
}

function startOne(name: string, args: readonly string[], logPath: string): Promise<{ child: ChildProcess; address: string }> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'EVONORM_HOST' && !/^EVONORM_(CLIENT_)?TLS_/.test(k)));
    const child = spawn(process.execPath, [mainScript('training'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, EVONORM_EXIT_WITH_PARENT: '1' } });
    child.stderr!.pipe(createWriteStream(logPath, { flags: 'a' }));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve({ child, address: match[1]! });
    });
    child.once('exit', (code, signal) => reject(new Error(`training replica ${name} exited (${signal ?? code}) before listening; see ${logPath}`)));
  });
}

export async function startTrainingReplicas(options: ReplicaOptions): Promise<StartedReplicas> {
  const logs = join(options.dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const settled = await Promise.allSettled(
    Array.from({ length: options.replicas }, async (_, r) => {
      const name = `${options.prefix}-${r + 1}`;
      const port = await freePort();
      const args = [
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--log-level',
        'warn',
        '--max-concurrent',
        '1',
        '--max-queued',
        '1024',
        '--threads',
        String(options.threadsPerReplica),
        ...(options.ep === 'cuda' ? ['--ep', 'cuda', '--device', String(options.device ?? 0)] : []),
        ...datasetFlags(options),
      ];
      return startOne(name, args, join(logs, `${name}.log`));
    }),
  );
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((s) => stopChild(s.child)));
  };
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { addresses: started.map((s) => s.address).join(','), stop };
}
