/**
 * Placement by the pool against in-process fake replicas whose reported load the test sets: a call
 * goes to the replica that reports the least load (work other clients put there counts), and with
 * a cap it waits for a replica to free instead of queueing behind a busy one.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Server, ServerCredentials, type ServerWritableStream, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { TrainingServiceService, type GetWorkerInfoRequest, type GetWorkerInfoResponse, TrainRequest, type TrainResponse } from '@evonorm/contracts';
import { TrainingPool } from '../src/index.js';

interface FakeReplica {
  readonly address: string;
  /** Trainings other clients run there, as GetWorkerInfo reports them. */
  othersLoad: number;
  /** How long each training takes here. */
  trainMs: number;
  readonly trained: string[];
  readonly stop: () => Promise<void>;
}

async function fakeReplica(name: string): Promise<FakeReplica> {
  const server = new Server();
  const replica = { othersLoad: 0, trainMs: 0, trained: [] as string[] };
  server.addService(TrainingServiceService, {
    train: (call: ServerWritableStream<TrainRequest, TrainResponse>) => {
      replica.trained.push(`${name}:${call.request.seed}`);
      setTimeout(() => {
        call.write({ result: { score: undefined, lossCurve: [1], seconds: 0.01, failure: 0, failureDetail: '', engine: 'fake', checkpoint: undefined } });
        call.end();
      }, replica.trainMs);
    },
    getWorkerInfo: (_call: ServerUnaryCall<GetWorkerInfoRequest, GetWorkerInfoResponse>, callback: sendUnaryData<GetWorkerInfoResponse>) =>
      callback(null, {
        engine: 'fake',
        backend: 'fake',
        maxConcurrent: 1,
        active: Math.min(replica.othersLoad, 1),
        queued: Math.max(0, replica.othersLoad - 1),
        architectures: [],
        datasets: [],
        executionProvider: 'cpu',
        device: 0,
      }),
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
  return Object.assign(replica, {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  });
}

const request = (seed: bigint): TrainRequest => TrainRequest.fromPartial({ seed });

describe('training pool placement', async () => {
  const a = await fakeReplica('a');
  const b = await fakeReplica('b');
  after(async () => {
    await a.stop();
    await b.stop();
  });

  it('sends each call to the replica that reports the least load', async () => {
    const pool = new TrainingPool([a.address, b.address]);
    a.othersLoad = 2;
    b.othersLoad = 0;
    for (let seed = 1n; seed <= 4n; seed++) await pool.train(request(seed));
    assert.deepEqual(b.trained, ['b:1', 'b:2', 'b:3', 'b:4']);
    assert.deepEqual(a.trained, []);
    b.othersLoad = 3;
    await pool.train(request(5n));
    assert.deepEqual(a.trained, ['a:5']);
    pool.close();
  });

  it('with a cap, waits while every replica is busy and goes to the first that frees', async () => {
    const pool = new TrainingPool([a.address, b.address], { perReplica: 1 });
    a.othersLoad = 1;
    b.othersLoad = 1;
    let done = false;
    const call = pool.train(request(6n)).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(done, false, 'no replica was free: the call waits in the pool');
    b.othersLoad = 0;
    await call;
    assert.ok(b.trained.includes('b:6'), `went to the replica that freed: ${b.trained}`);
    assert.ok(!a.trained.includes('a:6'));
    pool.close();
  });

  it('spreads calls started together over idle replicas, with a cap and without', async () => {
    a.othersLoad = 0;
    b.othersLoad = 0;
    a.trainMs = 200;
    b.trainMs = 200;
    for (const options of [{ perReplica: 1 }, {}]) {
      const pool = new TrainingPool([a.address, b.address], options);
      a.trained.length = 0;
      b.trained.length = 0;
      const started = performance.now();
      await Promise.all([11n, 12n, 13n, 14n].map((seed) => pool.train(request(seed))));
      // Before the fix every call of a burst saw both replicas idle and went to the same one.
      assert.deepEqual([a.trained.length, b.trained.length], [2, 2], `${JSON.stringify(options)}: ${a.trained} | ${b.trained}`);
      if (options.perReplica === 1) assert.ok(performance.now() - started >= 390, 'with a cap of 1, two rounds of 200 ms');
      pool.close();
    }
    a.trainMs = 0;
    b.trainMs = 0;
  });

  it('counts only its own calls when asked not to query the replicas', async () => {
    const pool = new TrainingPool([a.address, b.address], { loadAware: false });
    a.othersLoad = 5;
    b.othersLoad = 0;
    await pool.train(request(7n));
    await pool.train(request(8n));
    // Round-robin among equals: blind to the load elsewhere.
    assert.ok(a.trained.includes('a:7') || a.trained.includes('a:8'));
    pool.close();
  });
});
