/**
 * Shared by the search package's tests and the cross-service tests (as `@evonorm/search/testing`):
 * a tiny seeded search's flags, the CLI, and a run's stored history.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Candidate } from '@evonorm/contracts';
import { SearchStore } from '@evonorm/store';

export const CLI = fileURLToPath(new URL('../../bin/evonorm.js', import.meta.url));

/**
 * Seconds, not minutes: the synthetic 16×16 dataset, small proxies, a few steps, uniform
 * evaluation whatever the main job's default (adaptive seeds multiply the trainings). No
 * --minutes: a search adds `--minutes 0`; compare sets it itself.
 */
export function tinySearchFlags(architectures: readonly string[] = ['resnet_v2'], options: { readonly depth?: number } = {}): string[] {
  return [
    ...['--dataset', 'synthetic', '--architectures', architectures.join(','), '--width', '0.25'],
    ...(options.depth === undefined ? [] : ['--depth', String(options.depth)]),
    ...['--population', '4', '--tournament-fraction', '0.5', '--concurrency', '3'],
    ...['--stability-steps', '3', '--micro-steps', '4', '--micro-min-accuracy', '0.05'],
    ...['--quality-steps', '10', '--min-accuracy', '0.12', '--evaluation-steps', '12'],
    ...['--batch-size', '8', '--validation-examples', '50', '--adaptive-seeds', '0'],
  ];
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to the end (5 minutes at most). */
export function cli(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every candidate of a run's SQLite history, in order. */
export function storedHistory(path: string): Candidate[] {
  const store = SearchStore.open(path);
  try {
    return store.page(0, 100_000, false).candidates;
  } finally {
    store.close();
  }
}
