/**
 * The services a search talks to, as typed promise calls. Every call is idempotent (seeded draws,
 * reports keyed by candidate id), so calls that fail because a service is down or restarting are
 * retried with backoff until it is back or the search stops: a restarted selection service loses
 * the search nothing.
 */
import { status, type ChannelCredentials, type Client, type ServiceError } from '@grpc/grpc-js';
import {
  MutationServiceClient,
  RejectionServiceClient,
  SelectionServiceClient,
  type Candidate,
  type GetSearchResponse,
  type MeasureCostResponse,
  type LayerGraph,
  type MeasureCostRequest,
  type ReportCandidateResponse,
  type ScreenResponse,
  type TestQualityRequest,
  type TestQualityResponse,
  type TestStabilityRequest,
  type TestStabilityResponse,
  type TrainRequest,
  type TrainResult,
} from '@evonorm/contracts';
import { TrainingPool, channelCredentials, isServiceError, trainingTargets, unaryCall, withRetry, type ReplicaState } from '@evonorm/rpc';

export interface Addresses {
  readonly selection: string;
  readonly mutation: string;
  readonly rejection: string;
  /** "host:port[,host:port...]" or "dns:///name:port". */
  readonly training: string;
}

export interface SearchBackend {
  getSearch(): Promise<GetSearchResponse>;
  randomGraph(seed: bigint, batchIndependent: boolean): Promise<LayerGraph>;
  mutate(parent: LayerGraph, seed: bigint, batchIndependent: boolean): Promise<LayerGraph>;
  /**
   * The tournament winner and the size of the population it was drawn from (now, or as of the first
   * `asOf` reports: SampleParentRequest.as_of), or undefined while that population is empty.
   */
  sampleParent(seed: bigint, asOf?: number): Promise<{ readonly parent: Candidate; readonly population: number } | undefined>;
  screen(graph: LayerGraph, batchIndependent: boolean): Promise<ScreenResponse>;
  testStability(request: TestStabilityRequest, signal: AbortSignal): Promise<TestStabilityResponse>;
  testQuality(request: TestQualityRequest, signal: AbortSignal): Promise<TestQualityResponse>;
  train(request: TrainRequest, signal: AbortSignal): Promise<TrainResult>;
  /** A layer's inference cost against BN-ReLU, timed on a training replica, and the seconds the measurement took there. */
  measureCost(request: MeasureCostRequest, signal: AbortSignal): Promise<MeasureCostResponse>;
  report(candidate: Candidate): Promise<ReportCandidateResponse>;
  /** Every reported candidate, oldest first. */
  history(): Promise<Candidate[]>;
  replicas(): ReplicaState[];
  close(): void;
}

export interface RetryNotice {
  readonly service: string;
  readonly method: string;
  readonly code: string;
  readonly detail: string;
  readonly attempt: number;
}

const SHORT_MS = 30_000;
const LONG_MS = 3_600_000;

/**
 * `trainingSlots`: trainings the search keeps on one training address at a time (default 1, the
 * replicas' --max-concurrent in the embedded default); more wait for a free replica. `channel`:
 * the credentials of every connection (plaintext by default; TLS from channelCredentials).
 */
export function grpcBackend(
  addresses: Addresses,
  signal: AbortSignal,
  onRetry: (notice: RetryNotice) => void = () => {},
  trainingSlots = 1,
  channel: ChannelCredentials = channelCredentials(),
): SearchBackend {
  const selection = new SelectionServiceClient(addresses.selection, channel);
  const mutation = new MutationServiceClient(addresses.mutation, channel);
  const rejection = new RejectionServiceClient(addresses.rejection, channel);
  const pool = new TrainingPool(trainingTargets(addresses.training), {
    perReplica: trainingSlots,
    credentials: channel,
    onRetry: (target, error, attempt) => onRetry({ service: `training ${target}`, method: 'Train', code: status[error.code] ?? String(error.code), detail: error.details, attempt }),
  });
  const call = <Req, Res>(service: string, client: Client, method: string, request: Req, deadlineMs = SHORT_MS, callSignal: AbortSignal = signal): Promise<Res> =>
    withRetry(() => unaryCall<Req, Res>(client, method, request, { deadlineMs, signal: callSignal }), {
      signal: callSignal,
      maxDelayMs: 2000,
      onRetry: (error: ServiceError, attempt) => onRetry({ service, method, code: status[error.code] ?? String(error.code), detail: error.details, attempt }),
    });

  return {
    getSearch: () => call('selection', selection, 'getSearch', {}),
    randomGraph: async (seed, batchIndependent) =>
      (await call<object, { graph?: LayerGraph }>('mutation', mutation, 'randomGraph', { seed, space: { batchIndependent, minNodes: 0, maxNodes: 0 } })).graph!,
    mutate: async (parent, seed, batchIndependent) =>
      (await call<object, { child?: LayerGraph }>('mutation', mutation, 'mutate', { parent, seed, space: { batchIndependent, minNodes: 0, maxNodes: 0 } })).child!,
    sampleParent: async (seed, asOf) => {
      try {
        const drawn = await call<object, { parent?: Candidate; population: number }>('selection', selection, 'sampleParent', { seed, ...(asOf === undefined ? {} : { asOf: BigInt(asOf) }) });
        if (!drawn.parent) return undefined;
        // A selection service from before as_of leaves the size out (0 beside a parent): ask for it, as searches did then.
        const population = drawn.population > 0 ? drawn.population : (await call<object, GetSearchResponse>('selection', selection, 'getSearch', {})).population;
        return { parent: drawn.parent, population };
      } catch (error) {
        if (isServiceError(error) && error.code === status.FAILED_PRECONDITION) return undefined; // empty population
        throw error;
      }
    },
    screen: (graph, batchIndependent) => call('rejection', rejection, 'screen', { graph, batchIndependent }),
    testStability: (request, s) => call('rejection', rejection, 'testStability', request, LONG_MS, s),
    testQuality: (request, s) => call('rejection', rejection, 'testQuality', request, LONG_MS, s),
    train: (request, s) => pool.train(request, s),
    measureCost: (request, s) => pool.measureCost(request, s),
    report: (candidate) => call('selection', selection, 'reportCandidate', { candidate }),
    history: async () => {
      const all: Candidate[] = [];
      let pageToken = '';
      do {
        const page = await call<object, { candidates: Candidate[]; nextPageToken: string }>('selection', selection, 'listHistory', { pageSize: 1000, pageToken, acceptedOnly: false });
        all.push(...page.candidates);
        pageToken = page.nextPageToken;
      } while (pageToken);
      return all;
    },
    replicas: () => pool.state(),
    close: () => {
      selection.close();
      mutation.close();
      rejection.close();
      pool.close();
    },
  };
}
