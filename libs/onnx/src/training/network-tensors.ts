/**
 * A network (libs/nets) with a layer in every slot, emitted into a TensorGraph in training or
 * inference form, with every parameter and moving average a named graph input. Also lists the
 * parameters and state with their initial values, so a trainer can hold them between steps.
 */
import { EPSILON, MOVING_AVERAGE_DECAY, Rng, initialParams, initialState, type LayerGraph, type Seed } from '@evonorm/graph';
import { inferShapes, initWeights, inputChannels, type NetworkSpec } from '@evonorm/nets';
import type { TensorGraph } from '../autodiff/tensor-graph.js';
import { emitLayerTensors, type Mode } from './layer-tensors.js';

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Float64Array;
}

export interface ParameterSpec extends TensorSpec {
  /** Weight decay applies (conv and dense weights); not to v0, v1, γ, β or biases. */
  readonly decay: boolean;
}

export interface NetworkLayout {
  readonly params: readonly ParameterSpec[];
  /** Moving averages of the slots' batch aggregates and of the plain BatchNorms. */
  readonly state: readonly TensorSpec[];
}

const channel = (c: number): number[] => [1, c, 1, 1];

/** Parameters and state of `spec` with `layer` in its slots, at their initial values. */
export function networkLayout(spec: NetworkSpec, layer: LayerGraph, seed: Seed): NetworkLayout {
  const shapes = inferShapes(spec);
  const weights = initWeights(spec, Rng.fromSeed(seed));
  const params: ParameterSpec[] = [];
  const state: TensorSpec[] = [];
  for (const node of spec.nodes) {
    if (node.op === 'conv' || node.op === 'dense') {
      const w = weights.get(`${node.name}.weight`)!;
      params.push({ name: `${node.name}.weight`, shape: w.dims, init: w.data, decay: true });
      const bias = weights.get(`${node.name}.bias`);
      if (bias) params.push({ name: `${node.name}.bias`, shape: bias.dims, init: bias.data, decay: false });
    } else if (node.op === 'batchNorm') {
      const c = inputChannels(shapes, node);
      params.push({ name: `${node.name}.gamma`, shape: channel(c), init: new Float64Array(c).fill(1), decay: false });
      params.push({ name: `${node.name}.beta`, shape: channel(c), init: new Float64Array(c), decay: false });
      state.push({ name: `${node.name}.mean`, shape: channel(c), init: new Float64Array(c) });
      state.push({ name: `${node.name}.var`, shape: channel(c), init: new Float64Array(c).fill(1) });
    } else if (node.op === 'normAct') {
      const c = inputChannels(shapes, node);
      const p = initialParams(c);
      for (const key of ['v0', 'v1', 'gamma', 'beta'] as const) {
        params.push({ name: `${node.name}/${key}`, shape: channel(c), init: p[key], decay: false });
      }
      for (const [id, values] of initialState(layer, c)) state.push({ name: `${node.name}/moving${id}`, shape: channel(c), init: values });
    }
  }
  return { params, state };
}

export interface EmittedNetwork {
  readonly logits: string;
  /** Updated state value by state name (training), or the inputs (inference). */
  readonly state: ReadonlyMap<string, string>;
}

/**
 * Emits the network reading `images`; `input(name)` gives the graph value of a parameter or state
 * tensor (graph inputs created by the caller).
 */
export function emitNetworkTensors(g: TensorGraph, spec: NetworkSpec, layer: LayerGraph, images: string, mode: Mode, input: (name: string) => string): EmittedNetwork {
  const values = new Map<string, string>();
  const stateOut = new Map<string, string>();
  const get = (name: string): string => values.get(name)!;
  for (const node of spec.nodes) {
    values.set(
      node.name,
      g.scoped(scopeOf(node), () => emitNode(node)),
    );
  }
  return { logits: get(spec.nodes[spec.nodes.length - 1]!.name), state: stateOut };

  function emitNode(node: NetworkSpec['nodes'][number]): string {
    let out: string;
    switch (node.op) {
      case 'input':
        out = images;
        break;
      case 'conv': {
        const pad = Math.floor(node.kernel / 2);
        out = g.conv(get(node.input), input(`${node.name}.weight`), node.bias ? input(`${node.name}.bias`) : undefined, {
          strides: [node.stride, node.stride],
          pads: [pad, pad, pad, pad],
          group: node.groups,
        });
        break;
      }
      case 'normAct': {
        const x = get(node.input);
        const moving = new Map<number, string>();
        for (let id = 4; id < layer.nodes.length + 4; id++) {
          const node_ = layer.nodes[id - 4]!;
          if (node_.axes === 'bwh') moving.set(id, input(`${node.name}/moving${id}`));
        }
        const p = (k: string): string => input(`${node.name}/${k}`);
        const result = emitLayerTensors(g, layer, x, { v0: p('v0'), v1: p('v1'), gamma: p('gamma'), beta: p('beta') }, { mode, moving });
        for (const [id, value] of result.moving) stateOut.set(`${node.name}/moving${id}`, value);
        out = result.y;
        break;
      }
      case 'batchNorm': {
        const x = get(node.input);
        const meanIn = input(`${node.name}.mean`);
        const varIn = input(`${node.name}.var`);
        let mean = meanIn;
        let variance = varIn;
        if (mode === 'train') {
          const [n, , h, w] = g.shape(x) as [number, number, number, number];
          const count = n * h * w;
          mean = g.reduce('ReduceMean', x, [0, 2, 3]);
          const centered = g.sub(x, mean);
          variance = g.meanSquare(centered, [0, 2, 3]);
          const d = MOVING_AVERAGE_DECAY;
          stateOut.set(`${node.name}.mean`, g.add(g.mul(meanIn, g.constant(d)), g.mul(mean, g.constant(1 - d))));
          stateOut.set(`${node.name}.var`, g.add(g.mul(varIn, g.constant(d)), g.mul(variance, g.constant((1 - d) * (count / Math.max(1, count - 1))))));
        } else {
          stateOut.set(`${node.name}.mean`, meanIn);
          stateOut.set(`${node.name}.var`, varIn);
        }
        const normalized = g.div(g.sub(x, mean), g.unary('Sqrt', g.add(variance, g.constant(EPSILON))));
        out = g.add(g.mul(normalized, input(`${node.name}.gamma`)), input(`${node.name}.beta`));
        break;
      }
      case 'add':
        out = g.add(get(node.inputs[0]), get(node.inputs[1]));
        break;
      case 'scale':
        out = g.mul(get(node.input), get(node.scale));
        break;
      case 'swish':
        out = g.mul(get(node.input), g.unary('Sigmoid', get(node.input)));
        break;
      case 'sigmoid':
        out = g.unary('Sigmoid', get(node.input));
        break;
      case 'globalAvgPool':
        out = g.globalAvgPool(get(node.input));
        break;
      case 'dense': {
        const x = get(node.input);
        const s = g.shape(x);
        const flat = g.reshape(x, [s[0]!, s.slice(1).reduce((a, b) => a * b, 1)]);
        out = g.gemm(flat, input(`${node.name}.weight`), input(`${node.name}.bias`));
        break;
      }
      case 'maxPool':
        throw new Error('training graphs do not support maxPool (only the full-size ResNet stem uses it)');
    }
    return out;
  }
}

/** Profiler scope of a network node's ops: convolutions, depthwise convolutions, the candidate layer, the rest. */
function scopeOf(node: NetworkSpec['nodes'][number]): string {
  if (node.op === 'conv') return node.groups === 1 ? 'conv' : 'dwconv';
  return node.op === 'normAct' ? 'layer' : 'net';
}
