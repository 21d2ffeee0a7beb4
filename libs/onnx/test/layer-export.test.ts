import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FunctionalProbe, Rng, canonicalize, evaluateLayer, mutate, randomGraph, randomTensor, zooLayer, zooLayers, type LayerGraph, type LayerParams, type Shape4 } from '@evonorm/graph';
import { ExecutionProviderError, createSession, exportLayer, onnx, runFloat } from '../src/index.js';

const SHAPE: Shape4 = [3, 64, 3, 2];
const C = SHAPE[1];

function randomParams(rng: Rng): LayerParams {
  const vec = (mean: number, sd: number): Float64Array => Float64Array.from({ length: C }, () => mean + sd * rng.normal());
  return { v0: vec(0, 0.5), v1: vec(1, 0.5), gamma: vec(1, 0.3), beta: vec(0, 0.3) };
}

/** Worst |a − b| / (|b| + 1e-6·max|b|): relative, with a floor at a millionth of the output's scale. */
function scaledError(actual: ArrayLike<number>, expected: Float64Array): number {
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!) / (Math.abs(expected[i]!) + 1e-6 * scale);
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  return worst;
}

/** ‖a − b‖∞ / ‖b‖∞: float32 rounding near a kink (B0's max) makes elementwise ratios meaningless. */
function normwiseError(actual: ArrayLike<number>, expected: Float64Array): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    const err = Math.abs(actual[i]! - expected[i]!);
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  return worst / scale;
}

interface Case {
  graph: LayerGraph;
  x: Float64Array;
  params: LayerParams;
  state: ReturnType<typeof evaluateLayer>['state'];
  reference: Float64Array;
}

/** A layer with trained-looking weights: random params, moving averages after one training step. */
function makeCase(graph: LayerGraph, rng: Rng): Case | undefined {
  const x = randomTensor(SHAPE, rng, 1.5, 0.3);
  const params = randomParams(rng);
  const state = evaluateLayer(graph, x, { mode: 'train', params }).state;
  const reference = evaluateLayer(graph, x, { mode: 'infer', params, state }).output.data;
  return reference.every(Number.isFinite) ? { graph, x: x.data, params, state, reference } : undefined;
}

async function runExport(c: Case, dtype: 'float32' | 'float64' | 'float16', optimize: boolean): Promise<ArrayLike<number>> {
  const model = exportLayer(c.graph, { channels: C, dtype, params: c.params, state: c.state, optimize });
  // ORT's own QuickGelu fusion also fires on double tensors, which have no QuickGelu kernel.
  const session = await createSession(model, { graphOptimization: dtype === 'float64' ? 'basic' : 'all' });
  if (dtype === 'float16') {
    const { ort } = await import('../src/index.js');
    const half = new ort.Tensor(
      'float16',
      new Uint16Array(c.x.length).map((_, i) => halfOf(c.x[i]!)),
      [...SHAPE],
    );
    const out = await session.run({ x: half });
    return Array.from(out.y!.data as Uint16Array, fromHalf);
  }
  const data = dtype === 'float64' ? c.x : Float32Array.from(c.x);
  return runFloat(session, { name: 'x', data, dims: SHAPE }, 'y');
}

function halfOf(v: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, v);
  const bits = buf.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exp = ((bits >>> 23) & 0xff) - 127 + 15;
  const mant = (bits >>> 13) & 0x3ff;
  return exp <= 0 ? sign : exp >= 31 ? sign | 0x7c00 : sign | (exp << 10) | mant;
}

function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const FLOAT32_MAX = 3.4028234663852886e38;

describe('layer export: ONNX Runtime CPU vs the float64 interpreter', () => {
  for (const layer of zooLayers()) {
    it(`${layer.name}: float64 ≤ 1e-9 elementwise, float32 ≤ 1e-5 normwise, naive and optimized`, async () => {
      const c = makeCase(layer.graph, Rng.fromSeed(layer.name.length * 7))!;
      for (const optimize of [false, true]) {
        const e64 = scaledError(await runExport(c, 'float64', optimize), c.reference);
        assert.ok(e64 <= 1e-9, `float64 optimize=${optimize}: ${e64}`);
        const e32 = normwiseError(await runExport(c, 'float32', optimize), c.reference);
        assert.ok(e32 <= 1e-5, `float32 optimize=${optimize}: ${e32}`);
      }
    });
  }

  it('1,000 random valid graphs (NaN-producing ones excluded by the probe): float64 ≤ 1e-9 naive and optimized, float32 ≤ 1e-2 where the output fits float32', async () => {
    const rng = Rng.fromSeed(2024);
    const probe = new FunctionalProbe();
    let checked = 0;
    let worst32 = 0;
    while (checked < 1000) {
      const graph = mutate(randomGraph(rng, { minNodes: 2 }), rng).child;
      if (!probe.probe(canonicalize(graph).graph).ok) continue;
      const c = makeCase(graph, rng);
      if (!c) continue;
      const naive = scaledError(await runExport(c, 'float64', false), c.reference);
      const optimized = scaledError(await runExport(c, 'float64', true), c.reference);
      assert.ok(naive <= 1e-9 && optimized <= 1e-9, `${JSON.stringify(graph)}: ${naive}, ${optimized}`);
      // float32 is held to the reference only where the output fits in float32 (exp of a large
      // value is finite in float64 and Infinity in float32: a range limit, not an export error).
      if (c.reference.every((v) => Math.abs(v) <= FLOAT32_MAX)) {
        const e32 = scaledError(await runExport(c, 'float32', false), c.reference);
        assert.ok(e32 <= 1e-2, `${JSON.stringify(graph)} float32: ${e32}`);
        worst32 = Math.max(worst32, e32);
      }
      checked++;
    }
    assert.equal(checked, 1000);
  });

  it('accepts any batch size and spatial size for one channel count', async () => {
    const graph = zooLayer('evonorm-s0').graph;
    const session = await createSession(exportLayer(graph, { channels: 8 }));
    for (const dims of [
      [1, 8, 5, 7],
      [4, 8, 2, 2],
    ]) {
      const x = randomTensor(dims as unknown as Shape4, Rng.fromSeed(1));
      const y = await runFloat(session, { name: 'x', data: Float32Array.from(x.data), dims }, 'y');
      const reference = evaluateLayer(graph, x, { mode: 'infer' }).output.data;
      assert.ok(normwiseError(y, reference) <= 1e-5);
    }
  });

  it('fp16 export (statistics in fp32) stays within 1e-2 of the reference for S0 and B0', async () => {
    for (const name of ['evonorm-s0', 'evonorm-b0']) {
      const c = makeCase(zooLayer(name).graph, Rng.fromSeed(3))!;
      for (const optimize of [false, true]) {
        const y = await runExport(c, 'float16', optimize);
        let scale = 0;
        for (const v of c.reference) scale = Math.max(scale, Math.abs(v));
        const worst = Math.max(...Array.from(y, (v, i) => Math.abs(v - c.reference[i]!))) / scale;
        assert.ok(worst <= 1e-2, `${name} optimize=${optimize}: ${worst}`);
      }
    }
  });
});

describe('export optimizer', () => {
  const opTypes = (model: Uint8Array): string[] => onnx.ModelProto.decode(model).graph!.node!.map((n) => n.opType!);

  it('turns S0 at initialization into QuickGelu times one folded per-(n,c) scale, without a full-size Div', () => {
    const graph = zooLayer('evonorm-s0').graph;
    const naive = opTypes(exportLayer(graph, { channels: 64 }));
    const model = onnx.ModelProto.decode(exportLayer(graph, { channels: 64, optimize: true })).graph!;
    const optimized = model.node!.map((n) => n.opType!);
    assert.ok(naive.includes('Div'));
    assert.ok(optimized.includes('QuickGelu'));
    // Full-size work left: QuickGelu, one BatchNormalization that multiplies by the folded scale
    // and adds β in one pass, and the one-pass statistics: ReduceMean of x and of x·x (no centered
    // copy of x, no Div at all, and no ReduceSumSquare, which ONNX Runtime's CPU runs slower than
    // the Mul and the ReduceMean).
    assert.ok(!optimized.includes('Sigmoid'));
    assert.equal(optimized.filter((t) => t === 'BatchNormalization').length, 1);
    assert.ok(!opTypes(exportLayer(graph, { channels: 64, optimize: true, dtype: 'float16' })).includes('BatchNormalization'), 'ORT has no CPU half BatchNormalization');
    assert.ok(!optimized.includes('Div') && !optimized.includes('ReduceSumSquare'), optimized.join(', '));
    assert.equal(optimized.filter((t) => t === 'ReduceMean').length, 2);
    assert.equal(naive.filter((t) => t === 'Sub').length, 1);
    assert.equal(optimized.filter((t) => t === 'Reciprocal').length, 1);
  });

  it("pushes 1/γ into B0's denominator when γ > 0 (no Mul by γ), and not when some γ is negative; both exact, both with v1·x + σ in one pass", async () => {
    const graph = zooLayer('evonorm-b0').graph;
    const rng = Rng.fromSeed(41);
    for (const negative of [false, true]) {
      const c = makeCase(graph, rng)!;
      c.params.gamma.forEach((g, i) => (c.params.gamma[i] = Math.abs(g) + 0.1));
      if (negative) c.params.gamma[5] = -0.7;
      c.reference = evaluateLayer(graph, { shape: SHAPE, data: c.x }, { mode: 'infer', params: c.params, state: c.state }).output.data;
      const model = onnx.ModelProto.decode(exportLayer(graph, { channels: C, params: c.params, state: c.state, optimize: true })).graph!;
      const gamma = model.initializer!.find((t) => t.name === 'gamma')!.name!;
      const readers = model.node!.filter((n) => n.input!.includes(gamma)).map((n) => n.opType);
      assert.deepEqual([...new Set(readers)], negative ? ['Mul'] : ['Div'], readers.join(', '));
      // v1·x + σ, divided by γ or not, is one BatchNormalization pass rather than a Mul and an Add.
      assert.equal(model.node!.filter((n) => n.opType === 'BatchNormalization').length, 1);
      const e64 = scaledError(await runExport(c, 'float64', true), c.reference);
      assert.ok(e64 <= 1e-9, `float64, negative γ ${negative}: ${e64}`);
      const e32 = normwiseError(await runExport(c, 'float32', true), c.reference);
      assert.ok(e32 <= 1e-5, `float32, negative γ ${negative}: ${e32}`);
    }
  });

  it('folds the inference statistic of B0 into a constant and drops dead nodes', () => {
    const graph: LayerGraph = { nodes: [{ op: 'exp', inputs: [2] }, ...zooLayer('evonorm-b0').graph.nodes.map((n) => ({ ...n, inputs: n.inputs.map((i) => (i >= 4 ? i + 1 : i)) }))] };
    const optimized = opTypes(exportLayer(graph, { channels: 16, optimize: true }));
    const naive = opTypes(exportLayer(graph, { channels: 16 }));
    assert.ok(!optimized.includes('Exp') && !naive.includes('Exp'), 'the dead exp(v0) is never exported');
    assert.equal(naive.filter((t) => t === 'Sqrt').length, 2, 'naive: sqrt(moving + eps) in the graph');
    assert.equal(optimized.filter((t) => t === 'Sqrt').length, 1, 'only the instance std needs a Sqrt');
  });
});

describe('execution providers', () => {
  it('says exactly what is missing when CUDA is asked for and unavailable', async () => {
    const model = exportLayer(zooLayer('evonorm-s0').graph, { channels: 8 });
    await assert.rejects(createSession(model, { ep: 'cuda' }), (error: unknown) => {
      assert.ok(error instanceof ExecutionProviderError);
      assert.match(error.message, /missing next to onnxruntime_binding\.node in .*: libonnxruntime_providers_shared\.so, libonnxruntime_providers_cuda\.so/);
      assert.match(error.message, /setup-cuda\.sh/);
      return true;
    });
  });
});
