/**
 * Wraps service methods: maps thrown errors to gRPC statuses, refuses calls whose deadline has
 * passed or that were cancelled, and logs one line per call with its status and duration.
 */
import { status, type Metadata, type ServerUnaryCall, type ServerWritableStream, type ServiceDefinition, type sendUnaryData, type ServiceError } from '@grpc/grpc-js';
import { RpcError, invalidArgument } from './errors.js';
import type { LogLevel, Logger } from './logger.js';

/** Set on a request whose bytes could not be decoded (see `tolerantDefinition`). */
export const MALFORMED = Symbol('malformed request');

/**
 * The same service definition, but a request that fails to decode reaches the handler as
 * `{ [MALFORMED]: reason }` (answered INVALID_ARGUMENT) instead of grpc-js's INTERNAL.
 */
export function tolerantDefinition<T extends ServiceDefinition>(definition: T): T {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (error) {
          return { [MALFORMED]: error instanceof Error ? error.message : String(error) };
        }
      },
    };
  }
  return out as T;
}

export interface CallContext {
  /** Aborted when the client cancels or the deadline passes. */
  readonly signal: AbortSignal;
  readonly metadata: Metadata;
}

/** The status and message a thrown value is answered with. */
export function toServiceError(error: unknown): Partial<ServiceError> {
  if (error instanceof RpcError) return { code: error.code, details: error.message };
  return { code: status.INTERNAL, details: 'internal error; see the server log' };
}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number {
  const d = call.getDeadline();
  return d instanceof Date ? d.getTime() : typeof d === 'number' ? d : Infinity;
}

/** One log line per call: method, status, duration, and the stack of an unexpected error. */
function logCall(logger: Logger, method: string, start: number, code: status, error?: unknown, okLevel: LogLevel = 'info'): void {
  const fields: Record<string, unknown> = { method, code: status[code], ms: Number((performance.now() - start).toFixed(2)) };
  if (error && !(error instanceof RpcError)) fields.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const level = code === status.OK || code === status.CANCELLED ? okLevel : code === status.INTERNAL ? 'error' : 'warn';
  logger.log(level, 'call', fields);
}

/** Throws INVALID_ARGUMENT for a request `tolerantDefinition` could not decode. */
function requireDecoded(request: unknown, method: string): void {
  const malformed = (request as { [MALFORMED]?: string } | null)?.[MALFORMED];
  if (malformed !== undefined) throw invalidArgument('request', `not a valid ${method}Request message (${malformed})`);
}

/**
 * A unary handler from an async function of the request. `okLevel`: the log level of successful
 * calls, e.g. debug for a method clients poll.
 */
export function unary<Req, Res>(
  method: string,
  logger: Logger,
  fn: (request: Req, context: CallContext) => Promise<Res> | Res,
  options: { okLevel?: LogLevel } = {},
): (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void {
  return (call, callback) => {
    const start = performance.now();
    const controller = new AbortController();
    call.on('cancelled', () => controller.abort());
    const deadline = deadlineOf(call as ServerUnaryCall<unknown, unknown>);
    const timer = Number.isFinite(deadline) ? setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now())) : undefined;
    const finish = (code: status, error?: unknown): void => {
      if (timer) clearTimeout(timer);
      logCall(logger, method, start, code, error, options.okLevel);
    };
    if (Date.now() > deadline) {
      finish(status.DEADLINE_EXCEEDED);
      callback({ code: status.DEADLINE_EXCEEDED, details: 'deadline passed before the call started' });
      return;
    }
    Promise.resolve()
      .then(() => {
        requireDecoded(call.request, method);
        return fn(call.request, { signal: controller.signal, metadata: call.metadata });
      })
      .then(
        (response) => {
          finish(status.OK);
          callback(null, response);
        },
        (error: unknown) => {
          const e = toServiceError(error);
          finish(e.code!, error);
          callback(e);
        },
      );
  };
}

/**
 * A server-streaming handler: `fn` writes messages with `emit` and resolves when done. Errors end
 * the stream with their status; a cancelled call (client cancel or deadline) aborts `signal`.
 */
export function serverStream<Req, Res>(
  method: string,
  logger: Logger,
  fn: (request: Req, context: CallContext, emit: (message: Res) => void) => Promise<void>,
): (call: ServerWritableStream<Req, Res>) => void {
  return (call) => {
    const start = performance.now();
    const controller = new AbortController();
    let cancelled = false;
    call.on('cancelled', () => {
      cancelled = true;
      controller.abort();
    });
    const log = (code: status, error?: unknown): void => logCall(logger, method, start, code, error);
    Promise.resolve()
      .then(() => {
        requireDecoded(call.request, method);
        return fn(call.request, { signal: controller.signal, metadata: call.metadata }, (message) => {
          if (!cancelled) call.write(message);
        });
      })
      .then(
        () => {
          log(cancelled ? status.CANCELLED : status.OK);
          if (!cancelled) call.end();
        },
        (error: unknown) => {
          if (cancelled) {
            log(status.CANCELLED);
            return;
          }
          const e = toServiceError(error);
          log(e.code!, error);
          // grpc-js sends an error status when a server stream emits 'error'.
          call.emit('error', e);
        },
      );
  };
}
