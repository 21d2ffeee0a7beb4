/**
 * Where the dashboard reads a search from, polled once a second: the selection service's gRPC API
 * (ListHistory incrementally, GetParetoFront over the whole history, GetSearch for the plan) and
 * each training replica's GetWorkerInfo; or, when no service answers (a finished embedded search),
 * the run folder's SQLite history with the front computed by selection's own code.
 */
import { existsSync } from 'node:fs';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { Objective, SelectionServiceClient, TrainingServiceClient, type Candidate, type GetSearchResponse, type GetWorkerInfoResponse } from '@evonorm/contracts';
import { channelCredentials, unaryCall } from '@evonorm/rpc';
import { SearchStore } from '@evonorm/store';
import type { ReplicaView } from '../report/model.js';
import { FRONT_FROM_CODE, FRONT_FROM_SERVICE, historyFront } from '../report/front.js';
import { storePath } from '../search/run-folder.js';

export interface Snapshot {
  readonly history: readonly Candidate[];
  readonly frontIds: readonly string[];
  readonly frontSource: string;
  readonly replicas: readonly ReplicaView[];
  /** GetSearch's answer when the selection service answered. */
  readonly search?: GetSearchResponse;
  readonly status: string;
}

const DEADLINE_MS = 2_000;

/** Reads one selection service (and the given training replicas) over gRPC. */
export class GrpcSource {
  private readonly selection: SelectionServiceClient;
  private readonly training: Map<string, TrainingServiceClient>;
  private history: Candidate[] = [];
  /** The replicas' last answers: asked in the background so a busy replica never delays the history. */
  private replicaViews: ReplicaView[] = [];
  private asking?: Promise<void>;

  constructor(
    readonly selectionAddress: string,
    trainingAddresses: readonly string[],
    /** TLS for remote services (plaintext by default, as the embedded search's own services are). */
    channel: ChannelCredentials = channelCredentials(),
  ) {
    this.selection = new SelectionServiceClient(selectionAddress, channel);
    this.training = new Map(trainingAddresses.map((a) => [a, new TrainingServiceClient(a, channel)]));
  }

  async poll(): Promise<Snapshot> {
    const search = await unaryCall<object, GetSearchResponse>(this.selection, 'getSearch', {}, { deadlineMs: DEADLINE_MS });
    if (Number(search.candidates) < this.history.length) this.history = []; // a different search behind the same address
    let pageToken = this.history.length ? String(this.history.at(-1)!.sequence) : '';
    for (;;) {
      const page = await unaryCall<object, { candidates: Candidate[]; nextPageToken: string }>(
        this.selection,
        'listHistory',
        { pageSize: 1000, pageToken, acceptedOnly: false },
        { deadlineMs: 10_000 },
      );
      this.history.push(...page.candidates);
      if (!page.nextPageToken) break;
      pageToken = page.nextPageToken;
    }
    const front = await unaryCall<object, { candidates: Candidate[] }>(this.selection, 'getParetoFront', { history: true }, { deadlineMs: 10_000 });
    const asking = (this.asking ??= this.replicas().then((views) => {
      this.replicaViews = views;
      this.asking = undefined;
    }));
    if (this.replicaViews.length === 0 && this.training.size > 0) await asking; // the first answers
    return {
      history: this.history,
      frontIds: front.candidates.map((c) => c.id),
      frontSource: FRONT_FROM_SERVICE,
      replicas: this.replicaViews,
      search,
      status: `live from the selection service at ${this.selectionAddress}`,
    };
  }

  private replicas(): Promise<ReplicaView[]> {
    return Promise.all(
      [...this.training].map(async ([address, client]): Promise<ReplicaView> => {
        try {
          const info = await unaryCall<object, GetWorkerInfoResponse>(client, 'getWorkerInfo', {}, { deadlineMs: DEADLINE_MS });
          return {
            address,
            running: info.active,
            queued: info.queued,
            maxConcurrent: info.maxConcurrent,
            engine: info.engine,
            backend: info.backend,
            executionProvider: info.executionProvider === 'cuda' ? `cuda:${info.device}` : info.executionProvider,
            error: '',
          };
        } catch (error) {
          return { address, running: 0, queued: 0, maxConcurrent: 0, engine: '', backend: '', executionProvider: '', error: (error as Error).message.split('\n')[0]! };
        }
      }),
    );
  }

  close(): void {
    this.selection.close();
    for (const client of this.training.values()) client.close();
  }
}

/** Reads a run folder's SQLite history (the selection service's store) directly. */
export class StoreSource {
  private store?: SearchStore;
  private history: Candidate[] = [];

  constructor(private readonly dir: string) {}

  poll(reason: string): Snapshot {
    if (!this.store) {
      if (!existsSync(storePath(this.dir))) return { history: [], frontIds: [], frontSource: FRONT_FROM_CODE, replicas: [], status: `${reason}; no history yet` };
      this.store = SearchStore.open(storePath(this.dir), { readOnly: true });
    }
    for (let page = this.store.page(Number(this.history.at(-1)?.sequence ?? 0), 1000, false); ; page = this.store.page(page.next, 1000, false)) {
      this.history.push(...page.candidates);
      if (page.next === undefined) break;
    }
    const withCost = this.store.config()?.objectives.includes(Objective.OBJECTIVE_COST) ?? false;
    return { history: this.history, frontIds: historyFront(this.history, withCost), frontSource: FRONT_FROM_CODE, replicas: [], status: `${reason}; read from ${storePath(this.dir)}` };
  }

  close(): void {
    this.store?.close();
  }
}
