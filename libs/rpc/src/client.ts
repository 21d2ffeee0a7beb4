/**
 * Client side of the suite: promise-returning unary calls, retries of calls that failed because a
 * service was down (with capped exponential backoff), and the channel options every client uses.
 */
import { Metadata, status, type Client, type ServiceError } from '@grpc/grpc-js';

/** Codes that mean "the call did not happen or its outcome is unknown; the same call may be retried". */
export const TRANSIENT_CODES: ReadonlySet<status> = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.ABORTED, status.CANCELLED]);

export class CallCancelledError extends Error {
  constructor(what: string) {
    super(`${what}: cancelled`);
    this.name = 'CallCancelledError';
  }
}

export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && 'details' in error;
}

/** Channel options: round_robin load balancing, so a DNS name with many addresses spreads calls. */
export const ROUND_ROBIN_OPTIONS = { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }) };

type UnaryFn<Req, Res> = (request: Req, metadata: Metadata, options: { deadline: Date }, callback: (error: ServiceError | null, response: Res) => void) => { cancel(): void };

/** Calls a unary method of a generated client; rejects with the ServiceError. */
export function unaryCall<Req, Res>(client: Client, method: string, request: Req, options: { deadlineMs?: number; signal?: AbortSignal } = {}): Promise<Res> {
  const fn = (client as unknown as Record<string, UnaryFn<Req, Res>>)[method];
  if (typeof fn !== 'function') throw new TypeError(`no method ${method} on this client`);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new CallCancelledError(method));
    const call = fn.call(client, request, new Metadata(), { deadline: new Date(Date.now() + (options.deadlineMs ?? 60_000)) }, (error, response) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(options.signal?.aborted ? new CallCancelledError(method) : error);
      else resolve(response);
    });
    const onAbort = (): void => call.cancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves after `ms`, or rejects early when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CallCancelledError('wait'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CallCancelledError('wait'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions {
  readonly signal?: AbortSignal;
  /** Called before each wait, e.g. to log "selection unavailable, retrying in 2 s". */
  readonly onRetry?: (error: ServiceError, attempt: number, delayMs: number) => void;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Give up after this long (default: never; the signal stops the retries). */
  readonly giveUpAfterMs?: number;
}

/**
 * Runs `attempt` until it succeeds, retrying transient failures (a service restarting, a dropped
 * connection) with backoff. Only safe for idempotent calls: every call of the suite is, since
 * random draws are seeded by the request and reports are idempotent by candidate id.
 */
export async function withRetry<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const started = Date.now();
  let delay = options.initialDelayMs ?? 100;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (options.signal?.aborted) throw new CallCancelledError('retry');
      if (!isServiceError(error) || !TRANSIENT_CODES.has(error.code)) throw error;
      if (options.giveUpAfterMs !== undefined && Date.now() - started > options.giveUpAfterMs) throw error;
      options.onRetry?.(error, n, delay);
      await sleep(delay, options.signal);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 2000);
    }
  }
}
