/**
 * The run folder of a search: search.json (the plan and, for a search over remote services, their
 * addresses), search.sqlite (the selection service's store, in the embedded default), logs/, and
 * history.jsonl (the store as text, @evonorm/store's archive.ts, written by compare for finished
 * and stopped searches). A folder with search.json and history.jsonl but no store, as committed
 * with an experiment's results, is rebuilt on --resume.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SearchStore, archivedCount, restoreArchive, writeArchive } from '@evonorm/store';
import type { Addresses } from './backend.js';
import { toJson } from './json.js';
import { planFromJson, validatePlan, type SearchPlan } from './plan.js';

export interface RunRecord {
  readonly version: 1;
  readonly plan: SearchPlan;
  /** Absent for the embedded default (services started locally for each run). */
  readonly addresses?: Addresses;
  /** Where the embedded default's trainings ran (absent with remote services, and in older records). */
  readonly numerics?: Numerics;
  readonly createdUnixMs: number;
}

/**
 * What a search's float results depend on beyond its plan: ONNX Runtime's execution provider and
 * thread counts (its reductions split work by thread, so sums round differently).
 */
export interface Numerics {
  readonly ep: string;
  readonly threadsPerReplica: number;
  /** Threads of the rejection service's stability test. */
  readonly rejectionThreads: number;
}

/** A warning when a resumed search trains under other numerics than it started with; undefined when they agree (or were not recorded). */
export function numericsChange(recorded: Numerics | undefined, now: Numerics): string | undefined {
  if (!recorded) return undefined;
  const changes = (['ep', 'threadsPerReplica', 'rejectionThreads'] as const).filter((k) => recorded[k] !== now[k]).map((k) => `${k} ${recorded[k]} → ${now[k]}`);
  if (changes.length === 0) return undefined;
  return `this search started under other numerics (${changes.join(', ')}): ONNX Runtime's results can differ between providers and thread counts, so from here on it may not decide what an uninterrupted run does. To continue it exactly, pass the flags it started with (--ep, and on the CPU --threads-per-replica; on CUDA the threads follow the machine's cores and --replicas-per-gpu).`;
}

export class RunFolderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunFolderError';
  }
}

export const recordPath = (dir: string): string => join(dir, 'search.json');
export const storePath = (dir: string): string => join(dir, 'search.sqlite');
export const archivePath = (dir: string): string => join(dir, 'history.jsonl');

/** Rebuilds a missing store from the folder's history.jsonl; the count restored, or undefined when there was nothing to do. */
export function restoreRunStore(dir: string): number | undefined {
  if (existsSync(storePath(dir)) || !existsSync(archivePath(dir))) return undefined;
  return restoreArchive(archivePath(dir), storePath(dir));
}

/** Writes (or refreshes) the folder's history.jsonl from its store, unless its header already counts as many candidates; returns the count. */
export function archiveRun(dir: string): number {
  const store = SearchStore.open(storePath(dir), { readOnly: true });
  try {
    const stored = store.statistics().candidates;
    if (existsSync(archivePath(dir)) && archivedCount(archivePath(dir)) === stored) return stored;
    return writeArchive(store, archivePath(dir));
  } finally {
    store.close();
  }
}

export function readRun(dir: string): RunRecord {
  const path = recordPath(dir);
  if (!existsSync(path)) throw new RunFolderError(`${dir} holds no search (no search.json): start one with evonorm search --dir ${dir}`);
  let record: RunRecord;
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
  } catch (error) {
    throw new RunFolderError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (record.version !== 1 || !record.plan) throw new RunFolderError(`${path} is not an evonorm search record (version 1)`);
  return { ...record, plan: validatePlan(planFromJson({ ...record.plan, engine: record.plan.engine ?? 'auto' })) };
}

export function writeRun(dir: string, record: RunRecord): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(recordPath(dir), `${toJson(record, 2)}\n`);
}

/** runs/2026-11-24T10-15-00 */
export function defaultRunDir(now = new Date()): string {
  return join('runs', now.toISOString().slice(0, 19).replace(/:/g, '-'));
}
