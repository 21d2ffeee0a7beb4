import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { CallCancelledError, RpcError, Slots, invalidArgument, jsonLogger, requireSpace, resourceExhausted, toServiceError, trainingTargets, unavailable, withRetry } from '../src/index.js';

describe('status mapping', () => {
  it('maps domain errors to their codes and hides unexpected ones behind INTERNAL', () => {
    assert.deepEqual(toServiceError(invalidArgument('graph.nodes[0].op', 'unknown op')), { code: status.INVALID_ARGUMENT, details: 'graph.nodes[0].op: unknown op' });
    assert.equal(toServiceError(unavailable('training at x:1 is down')).code, status.UNAVAILABLE);
    assert.equal(toServiceError(resourceExhausted('2 calls in flight')).code, status.RESOURCE_EXHAUSTED);
    assert.deepEqual(toServiceError(new TypeError('secret detail')), { code: status.INTERNAL, details: 'internal error; see the server log' });
  });

  it('validates search spaces', () => {
    assert.deepEqual(requireSpace('space', undefined), { batchIndependent: false, minNodes: 1, maxNodes: 10 });
    assert.throws(() => requireSpace('space', { batchIndependent: false, minNodes: 0, maxNodes: 12 }), /space\.max_nodes: at most 10/);
  });

  it('logs JSON lines at or above the level', () => {
    const lines: string[] = [];
    const logger = jsonLogger('test', { level: 'warn', write: (l) => lines.push(l) });
    logger.log('info', 'hidden');
    logger.log('error', 'shown', { code: 'INTERNAL' });
    assert.equal(lines.length, 1);
    assert.deepEqual({ ...JSON.parse(lines[0]!), time: undefined }, { time: undefined, level: 'error', service: 'test', message: 'shown', code: 'INTERNAL' });
  });
});

describe('slots (admission control)', () => {
  it('runs up to the limit, queues in arrival order, refuses beyond the queue, and hands slots over', async () => {
    const slots = new Slots(1, 2);
    const first = await slots.acquire();
    const order: string[] = [];
    const second = slots.acquire().then((release) => (order.push('second'), release));
    const third = slots.acquire().then((release) => (order.push('third'), release));
    await assert.rejects(slots.acquire(), (e: RpcError) => e.code === status.RESOURCE_EXHAUSTED && /1 running \+ 2 queued/.test(e.message));
    assert.equal(slots.queueLength, 2);
    first();
    first(); // releasing twice frees one slot only
    const releaseSecond = await second;
    assert.deepEqual(order, ['second']);
    assert.equal(slots.active, 1);
    releaseSecond();
    (await third)();
    assert.equal(slots.active, 0);
  });

  it('drops a waiter whose caller cancels', async () => {
    const slots = new Slots(1, 1);
    const held = await slots.acquire();
    const abort = new AbortController();
    const waiting = slots.acquire(abort.signal);
    abort.abort();
    await assert.rejects(waiting, (e: RpcError) => e.code === status.CANCELLED);
    assert.equal(slots.queueLength, 0);
    held();
    assert.equal(slots.active, 0);
  });
});

describe('retries', () => {
  const failure = (code: status): Error => Object.assign(new Error(status[code]), { code, details: status[code], metadata: undefined });

  it('retries transient failures until the call succeeds, and never retries bad requests', async () => {
    let calls = 0;
    const retried: number[] = [];
    const value = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw failure(status.UNAVAILABLE);
        return 42;
      },
      { initialDelayMs: 1, onRetry: (_e, attempt) => retried.push(attempt) },
    );
    assert.equal(value, 42);
    assert.deepEqual(retried, [1, 2]);
    await assert.rejects(
      withRetry(async () => {
        throw failure(status.INVALID_ARGUMENT);
      }),
      (e: Error & { code: status }) => e.code === status.INVALID_ARGUMENT,
    );
  });

  it('stops retrying when its signal aborts', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 30);
    await assert.rejects(
      withRetry(
        async () => {
          throw failure(status.UNAVAILABLE);
        },
        { signal: abort.signal, initialDelayMs: 5 },
      ),
      CallCancelledError,
    );
  });

  it('parses training targets', () => {
    assert.deepEqual(trainingTargets('127.0.0.1:1, 127.0.0.1:2'), ['127.0.0.1:1', '127.0.0.1:2']);
    assert.deepEqual(trainingTargets('dns:///training.evonorm:50053'), ['dns:///training.evonorm:50053']);
    assert.throws(() => trainingTargets(' , '), /no training address/);
  });
});
