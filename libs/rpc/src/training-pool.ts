/**
 * Training replicas as one pool: each call goes to the least loaded replica of a list of addresses
 * (by the load each replica reports, round-robin among equals), or to one DNS name resolved by
 * gRPC's round_robin policy (e.g. a Kubernetes headless service). With `perReplica`, a call waits
 * until some replica runs fewer than that many trainings, so slow and fast trainings spread evenly
 * (plain round-robin sends every second call, e.g. always the slower architecture, to the same
 * replica). A call that fails because its replica died, restarted or was full is retried on the
 * next replica, so a lost worker costs time, never a result. Requests are seeded, so a retried
 * training gives the same answer wherever it runs.
 */
import { status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import {
  TrainingServiceClient,
  type GetWorkerInfoResponse,
  type MeasureCostRequest,
  type MeasureCostResponse,
  type TrainRequest,
  type TrainResponse,
  type TrainResult,
  type TrainProgress,
} from '@evonorm/contracts';
import { channelCredentials } from './credentials.js';
import { CallCancelledError, ROUND_ROBIN_OPTIONS, TRANSIENT_CODES, sleep, unaryCall } from './client.js';
import { TRAINING_MAX_MESSAGE_BYTES } from './config.js';

/** A replica's error that another replica may not repeat: the process died or was busy. */
const REPLICA_CODES: ReadonlySet<status> = new Set([...TRANSIENT_CODES, status.INTERNAL, status.UNKNOWN]);

export class TrainingError extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(`training service: ${details}`);
    this.name = 'TrainingError';
  }
}

interface Replica {
  readonly target: string;
  /** False for a dns: target, whose calls gRPC spreads itself: never capped, never asked for load. */
  readonly addressed: boolean;
  readonly client: TrainingServiceClient;
  active: number;
  downUntil: number;
  backoffMs: number;
  failures: number;
}

export interface ReplicaState {
  readonly target: string;
  readonly active: number;
  readonly up: boolean;
  readonly failures: number;
}

export interface PoolOptions {
  /** Give up on a call after this many failed attempts in a row (default 50). */
  readonly maxAttempts?: number;
  /** Called when a call moves to another replica. */
  readonly onRetry?: (target: string, error: ServiceError, attempt: number) => void;
  /** Deadline of one Train call (default 1 hour). */
  readonly deadlineMs?: number;
  /**
   * Trainings one address may run at once before a call waits here: this pool's, and those its
   * replica reports (default unlimited; a dns: target is never capped).
   */
  readonly perReplica?: number;
  /** Ask replicas for their load before placing a call (default true; false counts only this pool's calls). */
  readonly loadAware?: boolean;
  /** Channel credentials of every replica (default plaintext; see channelCredentials). */
  readonly credentials?: ChannelCredentials;
}

/** Parses "host:port,host:port" or "dns:///name:port" into targets. */
export function trainingTargets(spec: string): string[] {
  const targets = spec
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  if (targets.length === 0) throw new Error('no training address given: use host:port[,host:port...] or dns:///name:port');
  return targets;
}

export class TrainingPool {
  private readonly replicas: Replica[];
  private next = 0;
  private readonly freed = new Set<() => void>();

  constructor(
    targets: readonly string[],
    private readonly options: PoolOptions = {},
  ) {
    if (targets.length === 0) throw new Error('a training pool needs at least one address');
    this.replicas = targets.map((target) => ({
      target,
      addressed: !target.startsWith('dns:'),
      client: new TrainingServiceClient(target, options.credentials ?? channelCredentials(), {
        'grpc.max_receive_message_length': TRAINING_MAX_MESSAGE_BYTES,
        'grpc.max_send_message_length': TRAINING_MAX_MESSAGE_BYTES,
        ...(target.startsWith('dns:') ? ROUND_ROBIN_OPTIONS : {}),
      }),
      active: 0,
      downUntil: 0,
      backoffMs: 250,
      failures: 0,
    }));
  }

  state(): ReplicaState[] {
    const now = Date.now();
    return this.replicas.map((r) => ({ target: r.target, active: r.active, up: r.downUntil <= now, failures: r.failures }));
  }

  /** Trains on some replica, retrying elsewhere on replica failures; resolves with the result. */
  train(request: TrainRequest, signal?: AbortSignal, onProgress?: (p: TrainProgress) => void): Promise<TrainResult> {
    return this.onSomeReplica('Train', signal, (replica) => this.trainOn(replica, request, signal, onProgress));
  }

  /** A layer's inference cost against BN-ReLU, timed on some replica in one of its training slots. */
  measureCost(request: MeasureCostRequest, signal?: AbortSignal): Promise<MeasureCostResponse> {
    return this.onSomeReplica('MeasureCost', signal, async (replica) => {
      try {
        const response = await unaryCall<MeasureCostRequest, MeasureCostResponse>(replica.client, 'measureCost', request, { deadlineMs: 600_000, ...(signal ? { signal } : {}) });
        if (!response.cost) throw new TrainingError(status.INTERNAL, `MeasureCost on ${replica.target} answered without a cost`);
        return response;
      } finally {
        this.release(replica);
      }
    });
  }

  /** `run` on the replica pick() chose (run releases it), retrying elsewhere on replica failures. */
  private async onSomeReplica<T>(method: string, signal: AbortSignal | undefined, run: (replica: Replica) => Promise<T>): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 50;
    for (let attempt = 1; ; attempt++) {
      const replica = await this.pick(signal, method);
      try {
        const result = await run(replica);
        replica.backoffMs = 250;
        return result;
      } catch (error) {
        if (signal?.aborted) throw new CallCancelledError(method);
        const e = error as ServiceError;
        if (!REPLICA_CODES.has(e.code)) throw new TrainingError(e.code, e.details);
        if (attempt >= maxAttempts) throw new TrainingError(e.code, `${e.details} (gave up after ${attempt} attempts)`);
        if (e.code !== status.RESOURCE_EXHAUSTED) {
          replica.failures++;
          replica.downUntil = Date.now() + replica.backoffMs;
          replica.backoffMs = Math.min(replica.backoffMs * 2, 5000);
        } else {
          await sleep(50, signal);
        }
        this.options.onRetry?.(replica.target, e, attempt);
      }
    }
  }

  close(): void {
    for (const r of this.replicas) r.client.close();
  }

  /**
   * The least loaded replica that is up and under its cap (round-robin among equals), with one
   * call reserved on it (trainOn releases it); waits while there is none. With several addresses,
   * load is what each replica reports (running + queued, every client's calls: the rejection
   * service and a search share the replicas) plus this pool's calls placed there since it asked; a
   * replica that does not answer at once counts by this pool's own calls. With a cap, a replica the others keep
   * that busy is skipped too, and the call waits here, to go to whichever replica frees first,
   * instead of queueing behind one.
   */
  private async pick(signal: AbortSignal | undefined, method: string): Promise<Replica> {
    const cap = this.options.perReplica ?? Infinity;
    for (;;) {
      const eligible = this.replicas.filter((r) => r.downUntil <= Date.now() && (!r.addressed || r.active < cap));
      const activeWhenAsked = eligible.map((r) => r.active);
      const reported = await this.loads(eligible, cap);
      // Decide and reserve with no await in between: calls that placed themselves while this one
      // waited for the loads count here (a burst of calls would otherwise all see the same idle
      // replica and queue behind it while the others stay idle).
      const now = Date.now();
      let best: { replica: Replica; at: number; load: number } | undefined;
      let busyElsewhere = false;
      for (let i = 0; i < this.replicas.length; i++) {
        const at = (this.next + i) % this.replicas.length;
        const replica = this.replicas[at]!;
        const k = eligible.indexOf(replica);
        if (k < 0 || replica.downUntil > now) continue;
        const load = reported[k] === undefined ? replica.active : reported[k] + Math.max(0, replica.active - activeWhenAsked[k]!);
        if (replica.addressed && load >= cap) {
          busyElsewhere = true;
          continue;
        }
        if (!best || load < best.load) best = { replica, at, load };
      }
      if (best) {
        this.next = (best.at + 1) % this.replicas.length;
        best.replica.active++;
        return best.replica;
      }
      const downs = this.replicas.filter((r) => r.downUntil > now).map((r) => r.downUntil - now);
      // Others' calls end without telling this pool: look again soon.
      const wait = busyElsewhere ? 50 : downs.length > 0 ? Math.max(10, Math.min(...downs)) : 1000;
      // Wake on the first freed slot or when a down replica may be back.
      await new Promise<void>((resolve, reject) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.freed.delete(wake);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          clearTimeout(timer);
          this.freed.delete(wake);
          reject(new CallCancelledError(method));
        };
        const timer = setTimeout(wake, wait);
        this.freed.add(wake);
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** Gives back the place pick() reserved on `replica` and wakes the calls waiting for one. */
  private release(replica: Replica): void {
    replica.active--;
    for (const wake of [...this.freed]) wake();
  }

  /** Each replica's own load (running + queued), where worth asking and answered within 250 ms. */
  private async loads(replicas: readonly Replica[], cap: number): Promise<Array<number | undefined>> {
    // Worth asking when there is a choice to make, or a cap to respect; never with one address,
    // where a call queues there as well as here.
    const ask = this.replicas.length > 1 && replicas.length > 0 && (replicas.length > 1 || cap !== Infinity);
    if (!ask || this.options.loadAware === false) return replicas.map(() => undefined);
    return Promise.all(
      replicas.map(async (r) => {
        if (!r.addressed) return undefined;
        try {
          const info = await unaryCall<object, GetWorkerInfoResponse>(r.client, 'getWorkerInfo', {}, { deadlineMs: 250 });
          return info.active + info.queued;
        } catch {
          return undefined;
        }
      }),
    );
  }

  private trainOn(replica: Replica, request: TrainRequest, signal?: AbortSignal, onProgress?: (p: TrainProgress) => void): Promise<TrainResult> {
    return new Promise((resolve, reject) => {
      let result: TrainResult | undefined;
      // pick() reserved this call's place on the replica (replica.active); done() releases it.
      const call = replica.client.train(request, { deadline: new Date(Date.now() + (this.options.deadlineMs ?? 3_600_000)) });
      const onAbort = (): void => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        this.release(replica);
        signal?.removeEventListener('abort', onAbort);
      };
      call.on('data', (e: TrainResponse) => {
        if (e.result) result = e.result;
        else if (e.progress) onProgress?.(e.progress);
      });
      call.on('error', (e: ServiceError) => {
        done();
        reject(e);
      });
      call.on('end', () => {
        if (finished) return;
        done();
        if (result) resolve(result);
        else reject(Object.assign(new Error('the call ended without a result'), { code: status.UNAVAILABLE, details: 'the call ended without a result', metadata: undefined }));
      });
    });
  }
}
