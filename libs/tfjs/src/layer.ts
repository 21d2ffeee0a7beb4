/**
 * A layer graph compiled to TensorFlow.js ops, in training form (batch aggregates use batch
 * statistics and return updated moving averages, decay 0.9, variance unbiased) or inference form
 * (moving averages). Call inside tf.tidy; values keep their broadcast shapes until the output.
 */
import { DEFAULT_GROUPS, EPSILON, MOVING_AVERAGE_DECAY, NUM_INITIAL, groupCount, type IndexSet, type LayerGraph } from '@evonorm/graph';
import { tf } from './backend.js';

export interface LayerVariables {
  /** Each [1, C, 1, 1]. */
  readonly v0: tf.Tensor;
  readonly v1: tf.Tensor;
  readonly gamma: tf.Tensor;
  readonly beta: tf.Tensor;
}

export interface LayerCall {
  readonly mode: 'train' | 'infer';
  /** Moving averages by node id, each [1, C, 1, 1]. */
  readonly moving: ReadonlyMap<number, tf.Tensor>;
  readonly groups?: number;
}

type Statistic = 'mean' | 'meansq' | 'var';

function moments(v: tf.Tensor, axes: number[], kind: Statistic): tf.Tensor {
  if (kind === 'mean') return tf.mean(v, axes, true);
  if (kind === 'meansq') return tf.mean(tf.square(v), axes, true);
  return tf.mean(tf.square(tf.sub(v, tf.mean(v, axes, true))), axes, true);
}

export function applyLayer(graph: LayerGraph, x: tf.Tensor4D, vars: LayerVariables, call: LayerCall): { y: tf.Tensor4D; moving: Map<number, tf.Tensor> } {
  const [n, C, h, w] = x.shape;
  const G = groupCount(C, call.groups ?? DEFAULT_GROUPS);
  const count = n * h * w;
  const finish = (op: 'mean' | 'rms' | 'std', stat: tf.Tensor): tf.Tensor => (op === 'mean' ? stat : tf.sqrt(tf.add(stat, EPSILON)));
  const moving = new Map(call.moving);
  const values: tf.Tensor[] = [x, tf.zeros([1, 1, 1, 1]), vars.v0, vars.v1];

  const aggregate = (op: 'mean' | 'rms' | 'std', axes: IndexSet, a: tf.Tensor, id: number): tf.Tensor => {
    const kind: Statistic = op === 'mean' ? 'mean' : op === 'rms' ? 'meansq' : 'var';
    if (axes === 'bwh') {
      const previous = call.moving.get(id);
      if (!previous) throw new Error(`no moving average for batch aggregate node ${id}`);
      if (call.mode === 'infer') return finish(op, previous);
      const stat = moments(a, [0, 2, 3], kind);
      const correction = kind === 'var' && count > 1 ? count / (count - 1) : 1;
      moving.set(id, tf.add(tf.mul(previous, MOVING_AVERAGE_DECAY), tf.mul(stat, (1 - MOVING_AVERAGE_DECAY) * correction)));
      return finish(op, stat);
    }
    const [an, ac, ah, aw] = a.shape as [number, number, number, number];
    if (axes === 'whcg' && ac !== 1) {
      const stat = finish(op, moments(tf.reshape(a, [an, G, C / G, ah * aw]), [2, 3], kind));
      return tf.reshape(tf.broadcastTo(stat, [an, G, C / G, 1]), [an, C, 1, 1]);
    }
    // Constant over channels, a group statistic is an instance one; the layer set reduces c too.
    return finish(op, moments(a, axes === 'whc' ? [1, 2, 3] : [2, 3], kind));
  };

  graph.nodes.forEach((node, index) => {
    const id = index + NUM_INITIAL;
    const a = values[node.inputs[0]!]!;
    const b = node.inputs.length > 1 ? values[node.inputs[1]!]! : a;
    const ops: Record<string, () => tf.Tensor> = {
      add: () => tf.add(a, b),
      mul: () => tf.mul(a, b),
      div: () => tf.div(a, b),
      // tfjs's Maximum gradient does not sum over broadcast dimensions: broadcast first.
      max: () => {
        const shape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
        return tf.maximum(tf.broadcastTo(a, shape), tf.broadcastTo(b, shape));
      },
      neg: () => tf.neg(a),
      sigmoid: () => tf.sigmoid(a),
      tanh: () => tf.tanh(a),
      exp: () => tf.exp(a),
      abs: () => tf.abs(a),
      square: () => tf.square(a),
      log: () => tf.mul(tf.sign(a), tf.log(tf.abs(a))),
      sqrt: () => tf.mul(tf.sign(a), tf.sqrt(tf.abs(a))),
      mean: () => aggregate('mean', node.axes!, a, id),
      rms: () => aggregate('rms', node.axes!, a, id),
      std: () => aggregate('std', node.axes!, a, id),
    };
    values[id] = ops[node.op]!();
  });
  const out = tf.broadcastTo(values[values.length - 1]!, x.shape);
  return { y: tf.add(tf.mul(out, vars.gamma), vars.beta) as tf.Tensor4D, moving };
}
