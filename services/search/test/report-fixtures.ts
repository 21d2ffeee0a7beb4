/**
 * Shared by the report and dashboard tests: a tiny seeded search on two architectures (synthetic
 * data, a few steps: about 30 s here), the CLI, and a real selection service started on a run's
 * SQLite history to ask for GetParetoFront.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { credentials } from '@grpc/grpc-js';
import { SelectionServiceClient, type Candidate } from '@evonorm/contracts';
import { unaryCall } from '@evonorm/rpc';
import { freePort, mainScript, selectionFlags } from '../src/search/local.js';
import type { SearchPlan } from '../src/search/plan.js';
import { CLI, tinySearchFlags } from './tiny-search.js';

export { CLI, cli, storedHistory } from './tiny-search.js';

/** Two architectures so the per-architecture scatter and a real Pareto front exist. */
export const TINY_SEARCH = [...tinySearchFlags(['resnet_v2', 'mobilenet_v2'], { depth: 0.25 }), '--minutes', '0', '--replicas', '2'];

/** Starts the CLI in the background; `exited` resolves with its code. */
export function cliInBackground(...args: string[]): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))), output: () => out };
}

/** The ids of GetParetoFront(history: true) from the selection service at `address`. */
export async function selectionFront(address: string): Promise<string[]> {
  const client = new SelectionServiceClient(address, credentials.createInsecure());
  try {
    const front = await unaryCall<object, { candidates: Candidate[] }>(client, 'getParetoFront', { history: true }, { deadlineMs: 10_000 });
    return front.candidates.map((c) => c.id);
  } finally {
    client.close();
  }
}

/** A selection service process on `db` (a run's SQLite history), as the embedded search starts it. */
export async function startSelection(db: string, plan: SearchPlan): Promise<{ address: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [mainScript('selection'), '--port', String(port), '--log-level', 'warn', ...selectionFlags(plan, db)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`selection exited (${code}) before listening: ${err}`)));
  });
  return { address, stop: () => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))) };
}
