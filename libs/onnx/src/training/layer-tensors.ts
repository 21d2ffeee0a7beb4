/**
 * A layer graph emitted into a TensorGraph (static shapes, differentiable) in training or
 * inference form. Training: batch aggregates use batch statistics and return their updated moving
 * averages (decay 0.9; variance stored unbiased, as the float64 interpreter does). Inference:
 * batch aggregates read the moving averages.
 */
import { DEFAULT_GROUPS, EPSILON, MOVING_AVERAGE_DECAY, NUM_INITIAL, groupCount, type IndexSet, type LayerGraph } from '@evonorm/graph';
import type { Shape, TensorGraph } from '../autodiff/tensor-graph.js';

export type Mode = 'train' | 'infer';

/** Value names of the layer's per-channel parameters, each [1, C, 1, 1]. */
export interface LayerTensors {
  readonly v0: string;
  readonly v1: string;
  readonly gamma: string;
  readonly beta: string;
}

export interface LayerTensorOptions {
  readonly mode: Mode;
  /** Moving averages by node id, each [1, C, 1, 1]: read in inference, updated in training. */
  readonly moving: ReadonlyMap<number, string>;
  readonly groups?: number;
  readonly epsilon?: number;
  readonly decay?: number;
}

export interface LayerTensorResult {
  readonly y: string;
  /** Updated moving averages by node id (training); the inputs unchanged (inference). */
  readonly moving: ReadonlyMap<number, string>;
}

type Statistic = 'mean' | 'meansq' | 'var';

function moments(g: TensorGraph, v: string, axes: readonly number[], kind: Statistic): string {
  if (kind === 'mean') return g.reduce('ReduceMean', v, axes);
  if (kind === 'meansq') return g.meanSquare(v, axes);
  return g.meanSquare(g.sub(v, g.reduce('ReduceMean', v, axes)), axes);
}

export function emitLayerTensors(g: TensorGraph, graph: LayerGraph, x: string, params: LayerTensors, options: LayerTensorOptions): LayerTensorResult {
  const xShape = g.shape(x) as [number, number, number, number];
  const [n, C, h, w] = xShape;
  const G = groupCount(C, options.groups ?? DEFAULT_GROUPS);
  const eps = options.epsilon ?? EPSILON;
  const decay = options.decay ?? MOVING_AVERAGE_DECAY;
  const count = n * h * w; // elements per channel in a batch statistic, for the unbiased variance
  const values: string[] = [x, g.constant(0), params.v0, params.v1];
  const movingOut = new Map(options.moving);

  const finish = (op: 'mean' | 'rms' | 'std', stat: string): string => (op === 'mean' ? stat : g.unary('Sqrt', g.add(stat, g.constant(eps))));

  const aggregate = (op: 'mean' | 'rms' | 'std', axes: IndexSet, a: string, id: number): string => {
    const kind: Statistic = op === 'mean' ? 'mean' : op === 'rms' ? 'meansq' : 'var';
    if (axes === 'bwh') {
      const moving = options.moving.get(id);
      if (!moving) throw new Error(`no moving average input for batch aggregate node ${id}`);
      if (options.mode === 'infer') return finish(op, moving);
      const stat = moments(g, a, [0, 2, 3], kind);
      const correction = kind === 'var' && count > 1 ? count / (count - 1) : 1;
      const update = g.add(g.mul(moving, g.constant(decay)), g.mul(stat, g.constant((1 - decay) * correction)));
      movingOut.set(id, update);
      return finish(op, stat);
    }
    const shape = g.shape(a);
    if (axes === 'whcg' && shape[1] !== 1) {
      const [an, , ah, aw] = shape as [number, number, number, number];
      const grouped = g.reshape(a, [an, G, C / G, ah * aw]);
      const stat = finish(op, moments(g, grouped, [2, 3], kind)); // [an, G, 1, 1]
      return g.reshape(g.expand(stat, [an, G, C / G, 1]), [an, C, 1, 1]);
    }
    // Constant over channels, a group statistic is an instance one; the layer set reduces c too.
    return finish(op, moments(g, a, axes === 'whc' ? [1, 2, 3] : [2, 3], kind));
  };

  graph.nodes.forEach((node, index) => {
    const id = index + NUM_INITIAL;
    const a = values[node.inputs[0]!]!;
    const b = node.inputs.length > 1 ? values[node.inputs[1]!]! : a;
    let out: string;
    switch (node.op) {
      case 'add':
        out = g.add(a, b);
        break;
      case 'mul':
        out = g.mul(a, b);
        break;
      case 'div':
        out = g.div(a, b);
        break;
      case 'max':
        out = g.max(a, b);
        break;
      case 'neg':
        out = g.unary('Neg', a);
        break;
      case 'sigmoid':
        out = g.unary('Sigmoid', a);
        break;
      case 'tanh':
        out = g.unary('Tanh', a);
        break;
      case 'exp':
        out = g.unary('Exp', a);
        break;
      case 'abs':
        out = g.unary('Abs', a);
        break;
      case 'square':
        out = g.mul(a, a);
        break;
      case 'log':
        out = g.mul(g.unary('Sign', a), g.unary('Log', g.unary('Abs', a)));
        break;
      case 'sqrt':
        out = g.mul(g.unary('Sign', a), g.unary('Sqrt', g.unary('Abs', a)));
        break;
      case 'mean':
      case 'rms':
      case 'std':
        out = aggregate(node.op, node.axes!, a, id);
        break;
    }
    values[id] = out;
  });
  let out = values[values.length - 1]!;
  if (g.shape(out).some((d, i) => d !== xShape[i])) out = g.expand(out, xShape as Shape);
  return { y: g.add(g.mul(out, params.gamma), params.beta), moving: movingOut };
}
