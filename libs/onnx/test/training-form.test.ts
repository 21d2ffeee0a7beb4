import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FunctionalProbe, Rng, canonicalize, evaluateLayer, initialState, mutate, randomGraph, randomTensor, zooLayers, type LayerGraph, type Shape4 } from '@evonorm/graph';
import { TensorGraph, createSession, emitLayerTensors, ort } from '../src/index.js';

const SHAPE: Shape4 = [3, 64, 3, 2];

/** Runs a layer's training or inference form in float64 and returns y and the moving averages. */
async function runForm(graph: LayerGraph, mode: 'train' | 'infer', x: Float64Array, params: Record<string, Float64Array>, moving: Map<number, Float64Array>) {
  const g = new TensorGraph('layer', 'float64');
  const xIn = g.input('x', SHAPE);
  const p = Object.fromEntries(['v0', 'v1', 'gamma', 'beta'].map((k) => [k, g.input(k, [1, SHAPE[1], 1, 1])])) as Record<'v0' | 'v1' | 'gamma' | 'beta', string>;
  const movingIn = new Map([...moving.keys()].map((id) => [id, g.input(`m${id}`, [1, SHAPE[1], 1, 1])]));
  const result = emitLayerTensors(g, graph, xIn, p, { mode, moving: movingIn });
  g.output(result.y, 'y');
  for (const [id, v] of result.moving) g.output(v, `new_m${id}`);
  const session = await createSession(g.model(), { graphOptimization: 'basic' });
  const t = (v: Float64Array, dims: number[]): ort.Tensor => new ort.Tensor('float64', v, dims);
  const feeds: Record<string, ort.Tensor> = { x: t(x, [...SHAPE]) };
  for (const k of ['v0', 'v1', 'gamma', 'beta']) feeds[k] = t(params[k]!, [1, SHAPE[1], 1, 1]);
  for (const [id, v] of moving) feeds[`m${id}`] = t(v, [1, SHAPE[1], 1, 1]);
  const out = await session.run(feeds);
  return { y: out.y!.data as Float64Array, moving: new Map([...moving.keys()].map((id) => [id, out[`new_m${id}`]!.data as Float64Array])) };
}

function maxError(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  for (const v of b) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    // NaN in both agrees (a dead branch of log(0), say); equal values (zeros included) are exact;
    // otherwise relative, floored at a millionth of the scale.
    if (Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) continue;
    const diff = Math.abs(a[i]! - b[i]!);
    const err = diff === 0 ? 0 : diff / (Math.abs(b[i]!) + 1e-6 * scale);
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

describe('layer training form (TensorGraph) vs the float64 interpreter', () => {
  const graphs: Array<[string, LayerGraph]> = zooLayers().map((l) => [l.name, l.graph]);
  const rng = Rng.fromSeed(12);
  const probe = new FunctionalProbe();
  while (graphs.length < zooLayers().length + 200) {
    const graph = mutate(randomGraph(rng, { minNodes: 2 }), rng).child;
    if (probe.probe(canonicalize(graph).graph).ok) graphs.push([`random ${graphs.length}`, graph]);
  }

  it(`agrees on outputs and moving averages in both modes (zoo and 200 random graphs, float64, ≤ 1e-9)`, async () => {
    for (const [name, graph] of graphs) {
      const x = randomTensor(SHAPE, rng, 1.5, 0.3);
      const c = SHAPE[1];
      const vec = (m: number, s: number): Float64Array => Float64Array.from({ length: c }, () => m + s * rng.normal());
      const params = { v0: vec(0, 0.5), v1: vec(1, 0.5), gamma: vec(1, 0.3), beta: vec(0, 0.3) };
      const state = initialState(graph, c);
      const train = evaluateLayer(graph, x, { mode: 'train', params, state });
      if (!train.output.data.every(Number.isFinite)) continue;
      const onnxTrain = await runForm(graph, 'train', x.data, params, new Map(state));
      assert.ok(maxError(onnxTrain.y, train.output.data) <= 1e-9, `${name} training output`);
      for (const [id, v] of train.state) assert.ok(maxError(onnxTrain.moving.get(id)!, v) <= 1e-9, `${name} moving ${id}`);
      const infer = evaluateLayer(graph, x, { mode: 'infer', params, state: train.state });
      if (!infer.output.data.every(Number.isFinite)) continue;
      const onnxInfer = await runForm(graph, 'infer', x.data, params, new Map(train.state));
      assert.ok(maxError(onnxInfer.y, infer.output.data) <= 1e-9, `${name} inference output`);
    }
  });
});
