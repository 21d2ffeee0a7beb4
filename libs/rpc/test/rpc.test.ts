import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ConfigError, DEFAULT_MAX_MESSAGE_BYTES, invalidArgument, jsonLogger, requireSpace, resourceExhausted, serverConfig, toServiceError, unavailable } from '../src/index.js';

describe('server configuration', () => {
  it('binds 127.0.0.1 with the default port and limits unless told otherwise', () => {
    const c = serverConfig([], {}, { port: 50051 });
    assert.deepEqual([c.host, c.port, c.maxMessageBytes, c.logLevel], ['127.0.0.1', 50051, DEFAULT_MAX_MESSAGE_BYTES, 'info']);
  });

  it('reads flags first, then EVONORM_* environment variables', () => {
    const env = { EVONORM_PORT: '7000', EVONORM_HOST: '0.0.0.0', EVONORM_TRAINING_ADDRESS: 'localhost:9' };
    const c = serverConfig(['--port', '7001', '--training-address', 'x:1'], env, { port: 1 }, ['training-address']);
    assert.deepEqual([c.host, c.port, c.extra['training-address']], ['0.0.0.0', 7001, 'x:1']);
    assert.equal(serverConfig([], env, { port: 1 }, ['training-address']).extra['training-address'], 'localhost:9');
  });

  it('rejects bad values with a message that names the flag', () => {
    assert.throws(() => serverConfig(['--port', '70000'], {}, { port: 1 }), /--port must be an integer in 0\.\.65535/);
    assert.throws(() => serverConfig(['--tls-cert', 'a.pem'], {}, { port: 1 }), /TLS needs both --tls-cert and --tls-key/);
    assert.throws(() => serverConfig(['--bogus'], {}, { port: 1 }), ConfigError);
    assert.throws(() => serverConfig(['--max-message-bytes', '5'], {}, { port: 1 }), /--max-message-bytes/);
  });
});

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
