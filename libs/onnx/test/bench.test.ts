import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zooLayer } from '@evonorm/graph';
import {
  COST_SHAPES,
  ExecutionProviderError,
  MeasurementError,
  benchLayer,
  benchNetwork,
  checkExecutionProvider,
  createSession,
  generatedModel,
  inferenceCost,
  measureBandwidth,
  onnx,
  ort,
  quantile,
  timeModels,
} from '../src/index.js';
import { architecture } from '@evonorm/nets';

const one = (v: number): Record<string, ort.Tensor> => ({ scale: new ort.Tensor('float32', Float32Array.from([v]), [1]) });

describe('bench generator', () => {
  it('makes a full-size, non-constant tensor from small initializers, scaled by the input (nothing folds)', async () => {
    const shape = [4, 6, 5, 3];
    const bytes = generatedModel(shape, 'float32', (b, x) => b.node('Abs', [x]));
    const model = onnx.ModelProto.decode(bytes);
    const ops = model.graph!.node!.map((n) => n.opType);
    assert.ok(!ops.includes('RandomNormal'), 'no in-graph random generator');
    const largest = Math.max(...model.graph!.initializer!.map((t) => (t.dims ?? []).reduce<number>((a, d) => a * Number(d), 1)));
    assert.equal(largest, 5 * 3, 'the largest initializer is one [1,1,H,W] pattern');
    const session = await createSession(bytes, { threads: 1 });
    const a = (await session.run(one(1))).out!.data as Float32Array;
    const b = (await session.run(one(-2))).out!.data as Float32Array;
    await session.release();
    assert.ok(a[0]! > 0);
    assert.ok(Math.abs(b[0]! - 2 * a[0]!) < 1e-4 * a[0]!, `|x| scales with |scale|: ${a[0]} vs ${b[0]}`);
  });

  it('computes sum(pattern)·sum(per-channel)·sum(per-sample)·scale, each factor distinct per index', async () => {
    const bytes = generatedModel([3, 4, 2, 5], 'float32');
    const model = onnx.ModelProto.decode(bytes);
    const values = (stem: string): Float32Array => {
      const t = model.graph!.initializer!.find((i) => i.name!.startsWith(stem))!;
      const raw = t.rawData!;
      return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    };
    const sum = (a: Float32Array): number => a.reduce((x, y) => x + y, 0);
    const [pattern, perSample, perChannel] = [values('pattern'), values('per_sample'), values('per_channel')];
    assert.deepEqual([pattern.length, perSample.length, perChannel.length], [10, 3, 4]);
    for (const v of [pattern, perSample, perChannel]) assert.equal(new Set(v).size, v.length, 'distinct values');
    const session = await createSession(bytes, { threads: 1 });
    const out = ((await session.run(one(0.5))).out!.data as Float32Array)[0]!;
    await session.release();
    const expected = 0.5 * sum(pattern) * sum(perSample) * sum(perChannel);
    assert.ok(Math.abs(out - expected) < 1e-4 * Math.max(1, Math.abs(expected)), `${out} vs ${expected}`);
  });
});

describe('timing', () => {
  it('quantile interpolates sorted values', () => {
    assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
    assert.equal(quantile([1, 2, 3, 4, 5], 0), 1);
    assert.ok(Math.abs(quantile([0, 10], 0.1) - 1) < 1e-12);
    assert.throws(() => quantile([], 0.5), RangeError);
  });

  it('times models interleaved: every model gets the same number of runs, at least `repeats`', async () => {
    const timings = await timeModels([generatedModel([1, 2, 4, 4], 'float32'), generatedModel([1, 2, 4, 4], 'float32', (b, x) => b.node('Relu', [x]))], {
      threads: 1,
      warmup: 1,
      repeats: 7,
      minSeconds: 0,
    });
    assert.equal(timings.length, 2);
    for (const t of timings) {
      assert.equal(t.runs, 7);
      assert.ok(t.minMs > 0 && t.minMs <= t.ms && t.ms <= t.medianMs);
      assert.ok(t.cpuMs >= 0 && Number.isFinite(t.cpuMs));
    }
  });
});

describe('layer and network bench', () => {
  it('times a zoo layer chain against its baseline at a tiny shape', async () => {
    const row = await benchLayer({ name: 'evonorm-s0', graph: zooLayer('evonorm-s0').graph }, { shape: [2, 8, 4, 4], chain: 2, threads: 1, warmup: 1, repeats: 5, minSeconds: 0, optimize: true });
    assert.equal(row.export, 'optimized');
    assert.equal(row.runs, 5);
    assert.equal(row.floor_bytes, 2 * 2 * 8 * 4 * 4 * 4);
    assert.ok(Number.isFinite(row.per_layer_ms) && row.per_layer_ms >= 0);
    assert.ok(row.chain_ms > 0 && row.baseline_ms > 0);
    assert.ok(typeof row.per_layer_cpu_ms === 'number' && row.per_layer_cpu_ms >= 0, 'the CPU provider reports CPU time too');
  });

  it('bandwidth is a finite positive number or a MeasurementError, never Infinity', async () => {
    try {
      const gbPerS = await measureBandwidth([2, 8, 4, 4], 'float32', { threads: 1, warmup: 1, repeats: 5, minSeconds: 0, chain: 2 });
      assert.ok(Number.isFinite(gbPerS) && gbPerS > 0, `got ${gbPerS}`);
    } catch (error) {
      assert.ok(error instanceof MeasurementError, String(error));
      assert.match(error.message, /not slower than the generator/);
    }
  });

  it('whole-network rows have a latency and images/s only when the latency is positive', async () => {
    const spec = architecture('resnet_v2', { input: [3, 8, 8], width: 0.125, depth: 0.25 });
    const row = await benchNetwork(spec, { name: 'bn-relu', graph: zooLayer('bn-relu').graph }, { batch: 2, threads: 1, warmup: 1, repeats: 3 });
    assert.ok(row.latency_ms >= 0);
    if (row.latency_ms > 0) assert.ok(Number.isFinite(row.images_per_s!) && row.images_per_s! > 0);
    else assert.equal(row.images_per_s, undefined);
  });
});

describe('inference cost against BN-ReLU (Candidate.cost)', () => {
  it('times the optimized export against BN-ReLU at the provider shape, in process CPU time on the CPU', async () => {
    const self = await inferenceCost(zooLayer('bn-relu').graph, { threads: 1 });
    assert.deepEqual([self.ep, self.clock, self.shape], ['cpu', 'cpu_time', COST_SHAPES.cpu]);
    assert.deepEqual(COST_SHAPES.cpu, [8, 64, 32, 32]);
    assert.ok(self.runs >= 20);
    assert.ok(self.referenceMs > 0 && self.layerMs > 0);
    assert.equal(self.ratio, self.layerMs / self.referenceMs);
    // The same graph on both sides: equal up to timing noise (CPU time barely moves with other load).
    assert.ok(self.ratio > 0.5 && self.ratio < 2, `BN-ReLU against itself: ${self.ratio}`);
  });

  it('ranks GroupNorm (a statistic per sample and group, several passes) above BN-ReLU (one fused affine at inference)', async () => {
    // 7x on this machine (docs/benchmarks.md); 1.5x leaves room for any machine.
    const gn = await inferenceCost(zooLayer('gn-relu').graph, { threads: 1 });
    assert.ok(gn.ratio > 1.5, `GN-ReLU: ${gn.ratio}`);
  });
});

describe('execution provider check', () => {
  it('passes for the CPU and fails for CUDA here with what is missing and tools/setup-cuda.sh', async () => {
    await checkExecutionProvider('cpu');
    await assert.rejects(checkExecutionProvider('cuda', 0), (error: unknown) => {
      assert.ok(error instanceof ExecutionProviderError);
      assert.match(error.message, /setup-cuda\.sh/);
      return true;
    });
  });
});
