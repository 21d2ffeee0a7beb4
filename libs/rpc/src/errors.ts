/**
 * Domain errors with their gRPC status. Handlers throw these; everything else becomes INTERNAL
 * (logged with details, answered without them), so a server never crashes on bad input.
 */
import { status } from '@grpc/grpc-js';

export class RpcError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** Bad request: the message names the field and the fix. */
export function invalidArgument(field: string, problem: string): RpcError {
  return new RpcError(status.INVALID_ARGUMENT, `${field}: ${problem}`);
}

/** A dependency (another service, a dataset) is missing or down. */
export function unavailable(message: string): RpcError {
  return new RpcError(status.UNAVAILABLE, message);
}

/** Too much work in flight: the caller should retry later or elsewhere. */
export function resourceExhausted(message: string): RpcError {
  return new RpcError(status.RESOURCE_EXHAUSTED, message);
}

export function failedPrecondition(message: string): RpcError {
  return new RpcError(status.FAILED_PRECONDITION, message);
}

export function notFound(message: string): RpcError {
  return new RpcError(status.NOT_FOUND, message);
}
