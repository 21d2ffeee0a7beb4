/** Shared by the cross-service tests: a tiny search plan, the CLI, and what two runs must agree on. */
import { spawn } from 'node:child_process';
import type { Candidate } from '@evonorm/contracts';
import { CLI, tinySearchFlags } from '@evonorm/search/testing';

export { CLI, cli, storedHistory, type CliResult } from '@evonorm/search/testing';

/** A tiny search on one architecture (seconds, not minutes). */
export const TINY_FLAGS = [...tinySearchFlags(), '--minutes', '0'];

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
