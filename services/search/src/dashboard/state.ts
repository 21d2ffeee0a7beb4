/**
 * The dashboard's current view of a search: picks its source on every poll (the running search's
 * services, a remote selection service, or the run folder's SQLite) and turns what it read into
 * ReportData. Tells listeners when something changed.
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import { SelectionCriterion, type GetSearchResponse } from '@evonorm/contracts';
import { trainingTargets } from '@evonorm/rpc';
import { buildReportData, planFlags } from '../report/build-data.js';
import { environmentOf, readLiveServices, runResults, searchRunning } from '../report/environment.js';
import type { ReportData } from '../report/model.js';
import { readRun, type RunRecord } from '../search/run-folder.js';
import { GrpcSource, StoreSource, type Snapshot } from './source.js';

export interface DashboardTarget {
  /** A run folder (search.json; services.json while the search runs; search.sqlite). */
  readonly dir?: string;
  /** A selection service's address, for a remote or Kubernetes search. */
  readonly selection?: string;
  /** Training replica addresses (comma list) whose load to show, with --selection. */
  readonly training?: string;
  /** Credentials for --selection and a run's remote services (--tls-*); a running embedded search's own are plaintext. */
  readonly channel?: ChannelCredentials;
}

function planFromSearch(search: GetSearchResponse | undefined): Record<string, string> {
  const c = search?.config;
  if (!c) return {};
  return planFlags({
    seed: String(c.seed),
    population: c.populationSize,
    tournamentFraction: c.tournamentFraction,
    criterion: c.criterion === SelectionCriterion.SELECTION_CRITERION_PARETO ? 'pareto' : 'average',
    batchIndependent: c.batchIndependent,
    architectures: c.architectures,
    dataset: c.dataset,
  });
}

export class DashboardState {
  private readonly record?: RunRecord;
  private grpc?: GrpcSource;
  private store?: StoreSource;
  private current?: ReportData;
  private version = '';
  private readonly listeners = new Set<(data: ReportData) => void>();

  constructor(private readonly target: DashboardTarget) {
    if (target.dir) this.record = readRun(target.dir);
  }

  get title(): string {
    return `evonorm dashboard · ${this.target.dir ?? this.target.selection}`;
  }

  get data(): ReportData | undefined {
    return this.current;
  }

  onChange(listener: (data: ReportData) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Which services to ask now: the running search's, a remote search's, or the given ones. */
  private addresses(): { selection: string; training: string[]; remote: boolean; reason: string } | { reason: string } {
    if (this.target.selection) return { selection: this.target.selection, training: this.target.training ? trainingTargets(this.target.training) : [], remote: true, reason: '' };
    const live = readLiveServices(this.target.dir!);
    if (live && searchRunning(live)) return { selection: live.selection, training: trainingTargets(live.training), remote: Boolean(this.record?.addresses), reason: '' };
    if (this.record?.addresses) return { selection: this.record.addresses.selection, training: trainingTargets(this.record.addresses.training), remote: true, reason: '' };
    return { reason: 'the search is not running' };
  }

  private async snapshot(): Promise<Snapshot> {
    const where = this.addresses();
    if ('selection' in where) {
      if (this.grpc?.selectionAddress !== where.selection) {
        this.grpc?.close();
        this.grpc = new GrpcSource(where.selection, where.training, where.remote ? this.target.channel : undefined);
      }
      try {
        return await this.grpc.poll();
      } catch (error) {
        const reason = `the selection service at ${where.selection} does not answer (${(error as Error).message.split('\n')[0]})`;
        if (!this.target.dir) return { history: [], frontIds: [], frontSource: '', replicas: [], status: reason };
        return (this.store ??= new StoreSource(this.target.dir)).poll(reason);
      }
    }
    return (this.store ??= new StoreSource(this.target.dir!)).poll(where.reason);
  }

  /** Reads the search once; tells listeners when anything they would see changed. */
  async refresh(): Promise<ReportData> {
    const snap = await this.snapshot();
    const plan = this.record ? planFlags(this.record.plan) : planFromSearch(snap.search);
    const live = this.target.dir ? readLiveServices(this.target.dir) : undefined;
    const environment = environmentOf(this.record, live);
    const answered = snap.replicas.filter((r) => !r.error);
    if (answered.length > 0) {
      environment['execution provider'] = [...new Set(answered.map((r) => r.executionProvider || 'cpu'))].join(', ') + ' (as the replicas report it)';
      environment['training engine'] = [...new Set(answered.map((r) => `${r.engine} (${r.backend})`))].join(', ');
    }
    if (!this.record) environment.services = `selection ${this.target.selection}${this.target.training ? `, training ${this.target.training}` : ''}`;
    const data = buildReportData({
      title: this.title,
      plan,
      environment,
      history: snap.history,
      frontIds: snap.frontIds,
      frontSource: snap.frontSource,
      replicas: snap.replicas,
      status: snap.status,
      ...runResults(this.target.dir),
    });
    const version = JSON.stringify([data.candidates.length, data.front, data.replicas, data.status, data.candidates.at(-1)?.id, data.rerank?.layers.length, data.compare?.searches.length]);
    this.current = data;
    if (version !== this.version) {
      this.version = version;
      for (const listener of this.listeners) listener(data);
    }
    return data;
  }

  close(): void {
    this.grpc?.close();
    this.store?.close();
  }
}
