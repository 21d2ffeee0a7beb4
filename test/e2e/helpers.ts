/** Shared by the cross-service tests: a tiny search plan, the CLI, and what two runs must agree on. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Candidate } from '@evonorm/contracts';
import { SearchStore } from '@evonorm/store';

export const CLI = fileURLToPath(new URL('../../../services/search/bin/evonorm.js', import.meta.url));

/** Seconds, not minutes: a synthetic 16×16 dataset, one small proxy, a few steps. */
export const TINY_FLAGS = [
  '--dataset',
  'synthetic',
  '--architectures',
  'resnet_v2',
  '--width',
  '0.25',
  '--population',
  '4',
  '--tournament-fraction',
  '0.5',
  '--concurrency',
  '3',
  '--stability-steps',
  '3',
  '--quality-steps',
  '10',
  '--min-accuracy',
  '0.12',
  '--evaluation-steps',
  '12',
  '--batch-size',
  '8',
  '--validation-examples',
  '50',
  '--minutes',
  '0',
  // Uniform evaluation whatever the main job's default (adaptive seeds multiply the trainings).
  '--adaptive-seeds',
  '0',
];

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function cli(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI and resolves once `ready` matches its stdout (for killing it mid-run). */
export function cliUntil(args: string[], ready: RegExp): Promise<{ kill: (signal: NodeJS.Signals) => Promise<number | null>; stdout: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        ready = /$^/; // once
        resolve({ kill: (signal) => (child.kill(signal), exited), stdout: () => out });
      }
    });
    child.on('exit', (code) => reject(new Error(`the search exited (${code}) before ${ready}: ${err}`)));
  });
}

/** Everything a seeded search decides, without wall-clock fields (timings, creation time). */
export function decisions(history: readonly Candidate[]): unknown[] {
  return history.map((c) => ({
    id: c.id,
    parent: c.parentId,
    structural: c.hashes?.structural,
    functional: c.hashes?.functional,
    formula: c.formula?.text,
    duplicateOf: c.duplicateOf,
    scores: c.fitness?.scores.map((s) => [s.architecture, s.accuracy, s.loss, s.steps]),
    rejection: c.rejection ? [c.rejection.reason, c.rejection.detail] : undefined,
  }));
}

export function storedHistory(path: string): Candidate[] {
  const store = SearchStore.open(path);
  try {
    return store.page(0, 100_000, false).candidates;
  } finally {
    store.close();
  }
}
