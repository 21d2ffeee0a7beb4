import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  FunctionalProbe,
  LayerInterpreter,
  Rng,
  canonicalize,
  evaluateLayer,
  initialState,
  mutate,
  randomGraph,
  randomTensor,
  zooLayers,
  type LayerGraph,
  type LayerParams,
  type LayerState,
  type Shape4,
} from '@evonorm/graph';
import { applyLayer, initBackend, tf } from '../src/index.js';

const SHAPE: Shape4 = [3, 64, 3, 2];
const C = SHAPE[1];

/** Runs the compiled layer inside tf.tidy and copies the results out as plain arrays. */
function run(graph: LayerGraph, x: Float64Array, params: LayerParams, state: LayerState, mode: 'train' | 'infer') {
  let y: ArrayLike<number> = [];
  const moving = new Map<number, ArrayLike<number>>();
  tf.tidy(() => {
    const vec = (v: Float64Array) => tf.tensor4d(Float32Array.from(v), [1, C, 1, 1]);
    const movingIn = new Map([...state].map(([id, v]) => [id, vec(v)]));
    const out = applyLayer(
      graph,
      tf.tensor4d(Float32Array.from(x), [...SHAPE]),
      { v0: vec(params.v0), v1: vec(params.v1), gamma: vec(params.gamma), beta: vec(params.beta) },
      { mode, moving: movingIn },
    );
    y = out.y.dataSync() as Float32Array;
    for (const [id, t] of out.moving) moving.set(id, t.dataSync() as Float32Array);
  });
  return { y, moving };
}

/** ‖a − b‖∞ / ‖b‖∞ over finite values; NaN in both agrees. */
function normwise(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) continue;
    if (Number.isFinite(b[i]!)) scale = Math.max(scale, Math.abs(b[i]!));
    const d = Math.abs(a[i]! - b[i]!);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return scale === 0 ? worst : worst / scale;
}

/**
 * True when a float64 intermediate value is too large for float32 arithmetic: above √(3.4e38),
 * since statistics square their inputs (e.g. the variance of exp(x / v1) with a small v1).
 */
function exceedsFloat32(graph: LayerGraph, x: Float64Array, params: LayerParams): boolean {
  const { values } = new LayerInterpreter(SHAPE).run(graph, x, 'train', params);
  return values.some((v) => v.some((e) => Math.abs(e) > 1.8e19));
}

function randomParams(rng: Rng): LayerParams {
  const vec = (m: number, s: number) => Float64Array.from({ length: C }, () => m + s * rng.normal());
  return { v0: vec(0, 0.5), v1: vec(1, 0.5), gamma: vec(1, 0.3), beta: vec(0, 0.3) };
}

describe('TensorFlow.js layers (pure-JS CPU backend) vs the float64 interpreter', () => {
  before(async () => {
    const info = await initBackend();
    assert.equal(info.backend, info.native ? 'tensorflow' : 'cpu');
  });

  it('agree on every zoo layer in both modes, moving averages included (float32, ≤ 1e-5 normwise)', () => {
    const rng = Rng.fromSeed(4);
    for (const layer of zooLayers()) {
      const x = randomTensor(SHAPE, rng, 1.5, 0.3);
      const params = randomParams(rng);
      const train = evaluateLayer(layer.graph, x, { mode: 'train', params, state: initialState(layer.graph, C) });
      const t = run(layer.graph, x.data, params, initialState(layer.graph, C), 'train');
      assert.ok(normwise(t.y, train.output.data) <= 1e-5, `${layer.name} training: ${normwise(t.y, train.output.data)}`);
      for (const [id, v] of train.state) assert.ok(normwise(t.moving.get(id)!, v) <= 1e-5, `${layer.name} moving ${id}`);
      const infer = evaluateLayer(layer.graph, x, { mode: 'infer', params, state: train.state });
      const ti = run(layer.graph, x.data, params, train.state, 'infer');
      assert.ok(normwise(ti.y, infer.output.data) <= 1e-5, `${layer.name} inference`);
    }
  });

  it('agree on 200 probe-valid random graphs (float32, ≤ 1e-3 normwise)', () => {
    const rng = Rng.fromSeed(8);
    const probe = new FunctionalProbe();
    let checked = 0;
    while (checked < 200) {
      const graph = mutate(randomGraph(rng, { minNodes: 2 }), rng).child;
      if (!probe.probe(canonicalize(graph).graph).ok) continue;
      const x = randomTensor(SHAPE, rng, 1.5, 0.3);
      const params = randomParams(rng);
      const reference = evaluateLayer(graph, x, { mode: 'train', params });
      if (!reference.output.data.every(Number.isFinite) || exceedsFloat32(graph, x.data, params)) continue;
      const t = run(graph, x.data, params, initialState(graph, C), 'train');
      assert.ok(normwise(t.y, reference.output.data) <= 1e-3, `${JSON.stringify(graph)}: ${normwise(t.y, reference.output.data)}`);
      checked++;
    }
  });

  it('keeps the tensor count stable across calls (every call inside tf.tidy)', () => {
    const layer = zooLayers().find((l) => l.name === 'evonorm-b0')!;
    const x = randomTensor(SHAPE, Rng.fromSeed(1)).data;
    const params = randomParams(Rng.fromSeed(2));
    run(layer.graph, x, params, initialState(layer.graph, C), 'train');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) run(layer.graph, x, params, initialState(layer.graph, C), 'train');
    assert.equal(tf.memory().numTensors, before);
  });
});
