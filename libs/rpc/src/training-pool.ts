/**
 * Training replicas as one pool: calls go round-robin over a list of addresses (or to one DNS
 * name resolved by gRPC's round_robin policy, e.g. a Kubernetes headless service). A call that
 * fails because its replica died, restarted or was full is retried on the next replica, so a lost
 * worker costs time, never a result. Requests are seeded, so a retried training gives the same
 * answer wherever it runs.
 */
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { TrainingServiceClient, type TrainRequest, type TrainResponse, type TrainResult, type TrainProgress } from '@evonorm/contracts';
import { CallCancelledError, ROUND_ROBIN_OPTIONS, TRANSIENT_CODES, sleep } from './client.js';

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

  constructor(
    targets: readonly string[],
    private readonly options: PoolOptions = {},
  ) {
    if (targets.length === 0) throw new Error('a training pool needs at least one address');
    this.replicas = targets.map((target) => ({
      target,
      client: new TrainingServiceClient(target, credentials.createInsecure(), target.startsWith('dns:') ? ROUND_ROBIN_OPTIONS : {}),
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
  async train(request: TrainRequest, signal?: AbortSignal, onProgress?: (p: TrainProgress) => void): Promise<TrainResult> {
    const maxAttempts = this.options.maxAttempts ?? 50;
    for (let attempt = 1; ; attempt++) {
      const replica = await this.pick(signal);
      try {
        const result = await this.trainOn(replica, request, signal, onProgress);
        replica.backoffMs = 250;
        return result;
      } catch (error) {
        if (signal?.aborted) throw new CallCancelledError('Train');
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

  /** The next replica in round-robin order that is not marked down; waits if all are. */
  private async pick(signal?: AbortSignal): Promise<Replica> {
    for (;;) {
      const now = Date.now();
      for (let i = 0; i < this.replicas.length; i++) {
        const r = this.replicas[(this.next + i) % this.replicas.length]!;
        if (r.downUntil <= now) {
          this.next = (this.next + i + 1) % this.replicas.length;
          return r;
        }
      }
      const soonest = Math.min(...this.replicas.map((r) => r.downUntil));
      await sleep(Math.max(10, soonest - now), signal);
    }
  }

  private trainOn(replica: Replica, request: TrainRequest, signal?: AbortSignal, onProgress?: (p: TrainProgress) => void): Promise<TrainResult> {
    return new Promise((resolve, reject) => {
      let result: TrainResult | undefined;
      replica.active++;
      const call = replica.client.train(request, { deadline: new Date(Date.now() + (this.options.deadlineMs ?? 3_600_000)) });
      const onAbort = (): void => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        replica.active--;
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
