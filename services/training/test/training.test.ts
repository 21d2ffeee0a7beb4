import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Metadata, credentials, status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { zooLayer } from '@evonorm/graph';
import { Engine, IndexSet, Op, TrainRequest, TrainingConfig, TrainingServiceClient, graphToProto, type MeasureCostResponse, type TrainResponse } from '@evonorm/contracts';
import { Rng } from '@evonorm/graph';
import { callRawStream, callUnary, healthStatus, spawnService, type SpawnedService } from '@evonorm/rpc';

const MAIN = fileURLToPath(new URL('../src/main.js', import.meta.url));
const BN = graphToProto(zooLayer('bn-relu').graph);
const config = (c: Partial<TrainingConfig>): TrainingConfig =>
  TrainingConfig.fromPartial({ architecture: 'resnet_v2', dataset: 'synthetic', steps: 20, batchSize: 16, validationExamples: 200, widthMultiplier: 0.5, ...c });
const request = (r: Partial<TrainRequest>): TrainRequest => TrainRequest.fromPartial({ graph: BN, config: config({}), seed: 1, ...r });

interface Outcome {
  events: TrainResponse[];
  code: status;
  details: string;
  ms: number;
}

function train(client: TrainingServiceClient, req: TrainRequest, deadlineMs = 60_000, onStart?: (call: ClientReadableStream<TrainResponse>) => void): Promise<Outcome> {
  const start = performance.now();
  return new Promise((resolve) => {
    const events: TrainResponse[] = [];
    const call = client.train(req, new Metadata(), { deadline: new Date(Date.now() + deadlineMs) });
    onStart?.(call);
    call.on('data', (e: TrainResponse) => events.push(e));
    call.on('error', (e: ServiceError) => resolve({ events, code: e.code, details: e.details, ms: performance.now() - start }));
    call.on('end', () => resolve({ events, code: status.OK, details: '', ms: performance.now() - start }));
  });
}

/** Retries while the replica's slot is still held (it frees at the aborted training's next step). */
async function trainWhenFree(client: TrainingServiceClient, req: TrainRequest): Promise<Outcome> {
  let out = await train(client, req);
  for (let attempt = 0; attempt < 30 && out.code === status.RESOURCE_EXHAUSTED; attempt++) {
    await new Promise((r) => setTimeout(r, 100));
    out = await train(client, req);
  }
  return out;
}

describe('training service (separate process, generated client)', () => {
  let service: SpawnedService;
  let client: TrainingServiceClient;
  before(async () => {
    service = await spawnService(MAIN, ['--max-concurrent', '1', '--max-queued', '1']);
    client = new TrainingServiceClient(service.address, credentials.createInsecure());
  });
  after(async () => {
    client.close();
    if (service.process.exitCode === null) await service.stop('SIGKILL');
  });

  it('measures a layer’s inference cost against BN-ReLU in a training slot, and refuses a malformed graph', async () => {
    const out = await callUnary<object, MeasureCostResponse>(client, 'measureCost', { graph: graphToProto(zooLayer('gn-relu').graph) }, 120_000);
    assert.equal(out.code, status.OK, out.details);
    const cost = out.response!.cost!;
    assert.deepEqual([cost.executionProvider, cost.clock, cost.shape], ['cpu', 'cpu_time', [8, 64, 32, 32]]);
    assert.ok(cost.referenceMs > 0 && cost.layerMs > 0);
    assert.ok(Math.abs(cost.ratio - cost.layerMs / cost.referenceMs) < 1e-9);
    assert.ok(cost.ratio > 1.5, `GroupNorm's passes cost more than BN-ReLU's fused affine: ${cost.ratio}`);
    const bad = await callUnary<object, MeasureCostResponse>(client, 'measureCost', { graph: { nodes: [{ op: Op.OP_ADD, inputs: [0, 5], indexSet: IndexSet.INDEX_SET_UNSPECIFIED }] } });
    assert.equal(bad.code, status.INVALID_ARGUMENT, bad.details);
    assert.match(bad.details, /^graph/);
  });

  it('reports worker info and health', async () => {
    const info = await callUnary<unknown, { maxConcurrent: number; architectures: string[]; datasets: string[] }>(client, 'getWorkerInfo', {});
    assert.equal(info.code, status.OK);
    assert.equal(info.response!.maxConcurrent, 1);
    // auto: onnx, since no native TensorFlow.js backend is installed here.
    assert.equal((info.response as unknown as { engine: string }).engine, 'onnx');
    const provider = info.response as unknown as { executionProvider: string; device: number; backend: string };
    assert.deepEqual([provider.executionProvider, provider.device, provider.backend], ['cpu', 0, 'onnxruntime-node/cpu']);
    assert.deepEqual(info.response!.architectures, ['resnet_v2', 'mobilenet_v2', 'efficientnet_b0']);
    assert.equal(await healthStatus(service.address, 'evonorm.v1.TrainingService'), 'SERVING');
  });

  it('streams progress, then one result with a real accuracy', async () => {
    const out = await train(client, request({ progressEvery: 5 }));
    assert.equal(out.code, status.OK, out.details);
    const progress = out.events.filter((e) => e.progress).map((e) => e.progress!.step);
    assert.deepEqual(progress, [0, 5, 10, 15, 19]);
    const results = out.events.filter((e) => e.result);
    assert.equal(results.length, 1);
    assert.equal(out.events.at(-1)!.result !== undefined, true, 'the result comes last');
    const r = results[0]!.result!;
    assert.equal(r.score!.architecture, 'resnet_v2');
    assert.equal(r.lossCurve.length, 20);
    assert.ok(r.score!.accuracy > 0.1 && r.score!.accuracy <= 1);
    assert.equal(r.engine, 'onnx/cpu');
  });

  it('trains on images at lower resolution with config.downsample (the micro-quality rung), to a real accuracy', async () => {
    const short = { steps: 8, validationExamples: 100 };
    const small = await train(client, request({ config: config({ ...short, downsample: 2 }) }));
    assert.equal(small.code, status.OK, small.details);
    const full = await train(client, request({ config: config({ ...short, downsample: 1 }) }));
    assert.equal(full.code, status.OK, full.details);
    const [a, b] = [small.events.at(-1)!.result!, full.events.at(-1)!.result!];
    assert.ok(a.lossCurve.every((l) => Number.isFinite(l) && l > 0));
    assert.ok(a.score!.accuracy >= 0 && a.score!.accuracy <= 1);
    // Same seed and network: only the 8×8 inputs tell the two trainings apart.
    assert.notDeepEqual(a.lossCurve, b.lossCurve);
  });

  it('trains with the TensorFlow.js engine when asked (pure JS here), to a real accuracy', async () => {
    const out = await train(client, request({ engine: Engine.ENGINE_TFJS, config: config({ steps: 4, batchSize: 8, widthMultiplier: 0.25, validationExamples: 50 }) }), 60_000);
    assert.equal(out.code, status.OK, out.details);
    const r = out.events.at(-1)!.result!;
    assert.equal(r.engine, 'tfjs/cpu');
    assert.equal(r.lossCurve.length, 4);
    assert.ok(r.lossCurve.every((l) => Number.isFinite(l) && l > 0));
    assert.ok(r.score!.accuracy >= 0 && r.score!.accuracy <= 1);
  });

  it('stops at stop_after_step with a checkpoint, and resume_from continues it to the straight run’s result', async () => {
    const short = config({ steps: 8 });
    const straight = await train(client, request({ config: short }));
    const head = await train(client, request({ config: short, stopAfterStep: 3 }));
    assert.equal(head.code, status.OK, head.details);
    const stopped = head.events.at(-1)!.result!;
    assert.equal(stopped.score!.steps, 3);
    assert.ok(stopped.checkpoint, 'a stopped training returns its checkpoint');
    assert.equal(stopped.checkpoint.step, 3);
    assert.ok(stopped.checkpoint.tensors.some((t) => t.name.startsWith('momentum.') && t.data.byteLength > 0));
    const tail = await train(client, request({ config: short, resumeFrom: stopped.checkpoint }));
    assert.equal(tail.code, status.OK, tail.details);
    const resumed = tail.events.at(-1)!.result!;
    const whole = straight.events.at(-1)!.result!;
    assert.equal(resumed.checkpoint, undefined);
    assert.equal(resumed.score!.steps, 8);
    assert.deepEqual([...stopped.lossCurve, ...resumed.lossCurve], whole.lossCurve, 'the same losses as one run straight through');
    assert.equal(resumed.score!.accuracy, whole.score!.accuracy);
    // A checkpoint that does not fit the network it is asked to resume.
    const other = await train(client, request({ config: config({ steps: 8, architecture: 'mobilenet_v2', widthMultiplier: 0.25, depthMultiplier: 0.25 }), resumeFrom: stopped.checkpoint }));
    assert.equal(other.code, status.INVALID_ARGUMENT, other.details);
    assert.match(other.details, /^resume_from: the checkpoint has no tensor .*another network or layer/);
    const broken = { ...stopped.checkpoint, tensors: stopped.checkpoint.tensors.map((t, i) => (i === 0 ? { ...t, data: t.data.subarray(4) } : t)) };
    const truncated = await train(client, request({ config: short, resumeFrom: broken }));
    assert.equal(truncated.code, status.INVALID_ARGUMENT, truncated.details);
    assert.match(truncated.details, /^resume_from: checkpoint tensor .* has \d+ values, this network's has \d+/);
  });

  it('scores with batch statistics when asked (score_with_batch_statistics), training and checkpointing exactly as without', async () => {
    const short = config({ steps: 8 });
    const moving = (await train(client, request({ config: short, stopAfterStep: 3 }))).events.at(-1)!.result!;
    const outcome = await train(client, request({ config: short, stopAfterStep: 3, scoreWithBatchStatistics: true }));
    assert.equal(outcome.code, status.OK, outcome.details);
    const batch = outcome.events.at(-1)!.result!;
    assert.deepEqual(batch.lossCurve, moving.lossCurve, 'the same training');
    assert.deepEqual(batch.checkpoint, moving.checkpoint, 'the same checkpoint: the moving averages are left as they are');
    assert.equal(batch.score!.steps, 3);
    // BN-ReLU three steps in: its moving averages are still near their initial values, so the two forms score apart.
    assert.notEqual(batch.score!.loss, moving.score!.loss);
  });

  const checkpoint = { step: 3, steps: 20, tensors: [{ name: 'param.w', data: Buffer.alloc(8) }] };
  const BAD: Array<{ name: string; req: TrainRequest; code: status; says: RegExp }> = [
    { name: 'stop past the schedule', req: request({ stopAfterStep: 20 }), code: status.INVALID_ARGUMENT, says: /^stop_after_step: must be in \[1, 19\] \(0 runs to config\.steps\), got 20/ },
    { name: 'stop before the resumed step', req: request({ stopAfterStep: 2, resumeFrom: checkpoint }), code: status.INVALID_ARGUMENT, says: /^stop_after_step: must be in \[4, 19\]/ },
    {
      name: 'checkpoint of another schedule',
      req: request({ resumeFrom: { ...checkpoint, steps: 80 } }),
      code: status.INVALID_ARGUMENT,
      says: /^resume_from\.steps: must equal the training's steps \(20\): it comes from a schedule of 80 steps/,
    },
    { name: 'checkpoint at step 0', req: request({ resumeFrom: { ...checkpoint, step: 0 } }), code: status.INVALID_ARGUMENT, says: /^resume_from\.step: must be in \[1, 19\], got 0/ },
    {
      name: 'checkpoint tensor of no known kind',
      req: request({ resumeFrom: { ...checkpoint, tensors: [{ name: 'weights', data: Buffer.alloc(4) }] } }),
      code: status.INVALID_ARGUMENT,
      says: /^resume_from\.tensors\[0\]\.name: must start with param\., momentum\. or state\./,
    },
    {
      name: 'checkpoint tensor not float32',
      req: request({ resumeFrom: { ...checkpoint, tensors: [{ name: 'param.w', data: Buffer.alloc(6) }] } }),
      code: status.INVALID_ARGUMENT,
      says: /^resume_from\.tensors\[0\]\.data: must be float32 values \(a multiple of 4 bytes\), got 6 bytes/,
    },
    {
      name: 'checkpoint tensor twice',
      req: request({ resumeFrom: { ...checkpoint, tensors: [checkpoint.tensors[0]!, checkpoint.tensors[0]!] } }),
      code: status.INVALID_ARGUMENT,
      says: /^resume_from\.tensors\[1\]\.name: param\.w appears twice/,
    },
    { name: 'missing config', req: TrainRequest.fromPartial({ graph: BN, seed: 1 }), code: status.INVALID_ARGUMENT, says: /^config: a training config is required/ },
    {
      name: 'unknown architecture',
      req: request({ config: config({ architecture: 'vgg16' }) }),
      code: status.INVALID_ARGUMENT,
      says: /^config\.architecture: unknown architecture "vgg16"; use one of resnet_v2/,
    },
    { name: 'unknown dataset', req: request({ config: config({ dataset: 'imagenet' }) }), code: status.INVALID_ARGUMENT, says: /^config\.dataset: unknown dataset "imagenet"/ },
    { name: 'zero steps', req: request({ config: config({ steps: 0 }) }), code: status.INVALID_ARGUMENT, says: /^config\.steps: must be an integer in \[1, 100000\], got 0/ },
    { name: 'absurd step count', req: request({ config: config({ steps: 2_000_000_000 }) }), code: status.INVALID_ARGUMENT, says: /^config\.steps: must be an integer in \[1, 100000\]/ },
    { name: 'absurd batch size', req: request({ config: config({ batchSize: 100_000 }) }), code: status.INVALID_ARGUMENT, says: /^config\.batch_size: must be in \[1, 1024\]/ },
    { name: 'negative learning rate', req: request({ config: config({ learningRate: -1 }) }), code: status.INVALID_ARGUMENT, says: /^config\.learning_rate/ },
    { name: 'absurd downsampling', req: request({ config: config({ downsample: 9 }) }), code: status.INVALID_ARGUMENT, says: /^config\.downsample: must be an integer in \[0, 8\]/ },
    {
      name: 'downsampling that does not divide the images',
      req: request({ config: config({ downsample: 3 }) }),
      code: status.INVALID_ARGUMENT,
      says: /^config\.downsample: synthetic's 16×16 images do not divide by 3/,
    },
    {
      name: 'malformed graph',
      req: request({
        graph: {
          nodes: [
            { op: Op.OP_ADD, inputs: [0, 5], indexSet: IndexSet.INDEX_SET_UNSPECIFIED },
            { op: Op.OP_NEG, inputs: [4], indexSet: IndexSet.INDEX_SET_UNSPECIFIED },
          ],
        },
      }),
      code: status.INVALID_ARGUMENT,
      says: /graph\.nodes\[0\]\.inputs\[1\]: node 4 .*cycle/,
    },
    { name: 'missing graph', req: TrainRequest.fromPartial({ config: config({}), seed: 1 }), code: status.INVALID_ARGUMENT, says: /^graph: a layer graph is required/ },
    { name: 'unknown engine', req: request({ engine: 42 as Engine }), code: status.INVALID_ARGUMENT, says: /^engine: unknown engine 42/ },
    { name: 'CIFAR-10 not configured', req: request({ config: config({ dataset: 'cifar10' }) }), code: status.FAILED_PRECONDITION, says: /--cifar10-dir/ },
  ];
  for (const bad of BAD) {
    it(`answers bad input with ${status[bad.code]}: ${bad.name}`, async () => {
      const out = await train(client, bad.req);
      assert.equal(out.code, bad.code, out.details);
      assert.match(out.details, bad.says);
      assert.equal(out.events.length, 0);
    });
  }

  it('queues work beyond its concurrency, refuses beyond the queue, frees the slot when the client cancels', async () => {
    let first: ClientReadableStream<TrainResponse> | undefined;
    const long = train(client, request({ config: config({ steps: 5000 }), progressEvery: 1 }), 60_000, (c) => (first = c));
    await new Promise<void>((resolve) => first!.once('data', () => resolve()));
    const queued = train(client, request({ config: config({ steps: 2 }) }), 60_000);
    await new Promise((r) => setTimeout(r, 300));
    const third = await train(client, request({}));
    assert.equal(third.code, status.RESOURCE_EXHAUSTED, third.details);
    assert.match(third.details, /limit of this replica is 1 running \+ 1 queued/);
    first!.cancel();
    assert.equal((await long).code, status.CANCELLED);
    // The queued call gets the slot once the cancelled training notices, at its next step.
    const waited = await queued;
    assert.equal(waited.code, status.OK, waited.details);
    assert.equal(waited.events.filter((e) => e.result).length, 1);
    // The server notices the cancellation at its next step and frees the slot.
    const again = await trainWhenFree(client, request({ config: config({ steps: 2 }) }));
    assert.equal(again.code, status.OK, again.details);
  });

  it('stops at the deadline', async () => {
    const out = await train(client, request({ config: config({ steps: 5000 }) }), 1500);
    assert.equal(out.code, status.DEADLINE_EXCEEDED);
    assert.ok(out.ms < 3000, `${out.ms} ms`);
  });

  it('survives 1,000 randomly mutated Train payloads, answering each with a clear status', async () => {
    const rng = Rng.fromSeed(5);
    const tiny = request({ config: config({ steps: 1, batchSize: 2, validationExamples: 10, widthMultiplier: 0.1 }) });
    const valid = Buffer.from(TrainRequest.encode(tiny).finish());
    const allowed = [status.OK, status.INVALID_ARGUMENT, status.FAILED_PRECONDITION, status.RESOURCE_EXHAUSTED, status.UNAVAILABLE, status.DEADLINE_EXCEEDED];
    const codes = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const bytes = Buffer.from(valid);
      for (let k = 0; k < 1 + rng.int(3); k++) bytes[rng.int(bytes.length)] = rng.int(256);
      const out = await callRawStream(service.address, '/evonorm.v1.TrainingService/Train', rng.int(5) === 0 ? bytes.subarray(0, rng.int(bytes.length)) : bytes, 5000);
      codes.set(status[out.code], (codes.get(status[out.code]) ?? 0) + 1);
      assert.ok(allowed.includes(out.code), `payload ${i}: ${status[out.code]} ${out.details}`);
    }
    assert.ok((codes.get('INVALID_ARGUMENT') ?? 0) > 500, JSON.stringify([...codes]));
  });

  it('keeps serving after bad input', async () => {
    const out = await trainWhenFree(client, request({ config: config({ steps: 2 }) }));
    assert.equal(out.code, status.OK, out.details);
    assert.ok(!/"level":"error"/.test(service.stderr()), 'no internal errors logged');
  });
});

describe('a training replica killed while training', () => {
  it('gives the client UNAVAILABLE promptly, well before its deadline', async () => {
    const replica = await spawnService(MAIN);
    const client = new TrainingServiceClient(replica.address, credentials.createInsecure());
    let call: ClientReadableStream<TrainResponse> | undefined;
    const pending = train(client, request({ config: config({ steps: 5000 }), progressEvery: 1 }), 60_000, (c) => (call = c));
    await new Promise<void>((resolve) => call!.once('data', () => resolve()));
    const killedAt = performance.now();
    await replica.stop('SIGKILL');
    const out = await pending;
    assert.equal(out.code, status.UNAVAILABLE, out.details);
    assert.ok(performance.now() - killedAt < 5000, 'no hang until the deadline');
    client.close();
  });
});
