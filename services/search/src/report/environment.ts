/**
 * What a run folder records about where its search ran: the plan's engine, and the services file
 * the search writes while it runs (services.json: addresses, replica count, execution provider and
 * devices of local replicas). Also the folder's rerank.json and compare.json when present.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../search/run-folder.js';
import type { CompareView, RerankView } from './model.js';

export interface LiveServices {
  readonly selection: string;
  /** Comma-separated training replica addresses. */
  readonly training: string;
  readonly replicas: number;
  readonly embedded: boolean;
  readonly pid: number;
  readonly startedUnixMs: number;
  /** The plan's engine (onnx, tfjs or auto). */
  readonly engine?: string;
  /** Local replicas: cpu or cuda (--ep); remote ones report theirs via GetWorkerInfo. */
  readonly executionProvider?: string;
  /** Local CUDA replicas: the GPU of each replica. */
  readonly devices?: readonly number[];
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
  if (live?.executionProvider) env['execution provider'] = live.executionProvider;
  else if (live && !live.embedded) env['execution provider'] = 'remote replicas (each reports its own via GetWorkerInfo; see the dashboard)';
  else env['execution provider'] = 'not recorded (run folder from before services.json kept it)';
  if (live?.devices && live.devices.length > 0) env.devices = `GPU ${[...new Set(live.devices)].join(', ')} (replica → device: ${live.devices.join(', ')})`;
  if (record?.addresses) env.services = `remote: selection ${record.addresses.selection}, training ${record.addresses.training}`;
  else if (record) env.services = 'embedded (started locally by evonorm search)';
  if (live) env['training replicas'] = `${live.replicas}${live.embedded ? ' local' : ''} (${live.training})`;
  else if (record?.addresses) env['training replicas'] = String(record.addresses.training.split(',').length);
  else env['training replicas'] = 'not recorded (the search was not running)';
  if (record) env['created'] = new Date(record.createdUnixMs).toISOString();
  return env;
}

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

/** The folder's rerank.json and compare.json (each when present), and notes on what is missing. */
export function runResults(dir: string | undefined): { rerank?: RerankView; compare?: CompareView; notes: string[] } {
  const rerank = dir ? readJson<RerankView>(join(dir, 'rerank.json')) : undefined;
  const compare = dir ? readJson<CompareView>(join(dir, 'compare.json')) : undefined;
  const notes: string[] = [];
  if (!rerank && !compare?.rerank)
    notes.push(`No rerank.json in this folder yet: \`evonorm rerank ${dir ?? '<dir>'}\` trains the top layers and baselines longer on several seeds (test split, paired differences to BN-ReLU).`);
  return { ...(rerank ? { rerank } : {}), ...(compare ? { compare } : {}), notes };
}
