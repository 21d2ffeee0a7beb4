/**
 * What a run folder records about where its search ran: the plan's engine, and the services file
 * the search writes while it runs (services.json: addresses, replica count). Also the notes for
 * producers that are not built yet (rerank.json, compare.json).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../search/run-folder.js';

export interface LiveServices {
  readonly selection: string;
  /** Comma-separated training replica addresses. */
  readonly training: string;
  readonly replicas: number;
  readonly embedded: boolean;
  readonly pid: number;
  readonly startedUnixMs: number;
}

export const servicesPath = (dir: string): string => join(dir, 'services.json');

/** Written by `evonorm search` once its services are up, so a dashboard can find them (kept afterwards as the record of where it ran). */
export function writeLiveServices(dir: string, services: LiveServices): void {
  writeFileSync(servicesPath(dir), `${JSON.stringify(services, null, 2)}\n`);
}

/** Whether the search process that wrote services.json still runs (on this machine). */
export function searchRunning(services: LiveServices): boolean {
  try {
    process.kill(services.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLiveServices(dir: string): LiveServices | undefined {
  try {
    return JSON.parse(readFileSync(servicesPath(dir), 'utf8')) as LiveServices;
  } catch {
    return undefined;
  }
}

export function environmentOf(record: RunRecord | undefined, live: LiveServices | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  if (record) env.engine = `${record.plan.engine}${record.plan.engine === 'auto' ? ' (each replica picks: onnx unless a native TensorFlow.js backend is installed)' : ''}`;
  env['execution provider'] = 'not recorded by the run (each training replica reports its backend via GetWorkerInfo; see the dashboard)';
  if (record?.addresses) env.services = `remote: selection ${record.addresses.selection}, training ${record.addresses.training}`;
  else if (record) env.services = 'embedded (started locally by evonorm search)';
  if (live) env['training replicas'] = `${live.replicas}${live.embedded ? ' local' : ''} (${live.training})`;
  else if (record?.addresses) env['training replicas'] = String(record.addresses.training.split(',').length);
  else env['training replicas'] = 'not recorded (the search was not running)';
  if (record) env['created'] = new Date(record.createdUnixMs).toISOString();
  return env;
}

/** Sections the page leaves out because their producer has not written them. */
export function missingSections(dir: string | undefined): string[] {
  const notes: string[] = [];
  for (const [file, what] of [
    ['rerank.json', 'the rerank table with CIs and held-out architectures'],
    ['compare.json', 'the compare curves with bands'],
  ] as const) {
    if (!dir || !existsSync(join(dir, file))) notes.push(`No ${file} in this run folder, so ${what} is not shown.`);
    else notes.push(`${file} is present, but this version of the report does not draw it yet.`);
  }
  return notes;
}
