/**
 * Export of a whole network (libs/nets) with a layer in every norm-act slot, in inference form.
 * Each slot gets its own copy of the layer: its own v0, v1, γ, β and moving averages.
 */
import { DEFAULT_GROUPS, EPSILON, Rng, type LayerGraph, type LayerParams, type LayerState, type Seed } from '@evonorm/graph';
import { inferShapes, inputChannels, initWeights, type NetworkSpec, type NetworkWeights } from '@evonorm/nets';
import { GraphBuilder, type Dim, type DType } from './builder.js';
import { emitLayer, emitLayerCall } from './layer.js';

export interface SlotWeights {
  readonly params?: LayerParams;
  readonly state?: LayerState;
}

export interface NetworkExportOptions {
  readonly dtype?: 'float32' | 'float16' | 'float64';
  /** Network weights; default: `initWeights(spec, Rng.fromSeed(seed))`. */
  readonly weights?: NetworkWeights;
  readonly seed?: Seed;
  /** Per-slot layer weights by slot (node) name; default: initial values. */
  readonly slots?: ReadonlyMap<string, SlotWeights>;
  readonly optimize?: boolean;
  /** Fixed batch size, or symbolic (default). */
  readonly batch?: number;
  /**
   * 'layer' (default) exports the given layer graph; 'stock-bn-relu' uses ONNX BatchNormalization +
   * Relu in the slots instead, the reference the exported BN-ReLU layer must equal.
   */
  readonly slotImpl?: 'layer' | 'stock-bn-relu';
  readonly groups?: number;
  /** Each slot as one call of a model-local ONNX function (see LayerExportOptions.asFunction). */
  readonly functions?: boolean;
}

/** Emits the network into `b` reading `images` ([N, C, H, W]); returns the logits' name. */
export function emitNetwork(b: GraphBuilder, spec: NetworkSpec, layer: LayerGraph, images: string, options: NetworkExportOptions = {}): string {
  const dtype: DType = options.dtype ?? 'float32';
  const shapes = inferShapes(spec);
  const weights = options.weights ?? initWeights(spec, Rng.fromSeed(options.seed ?? 0));
  const tensor = (key: string): string => {
    const w = weights.get(key);
    if (!w) throw new Error(`missing weight ${key}`);
    return b.initializer(key, w.data, w.dims, dtype);
  };
  const values = new Map<string, string>();
  const get = (name: string): string => values.get(name)!;
  const functionNames = new Map<string, string>();
  for (const node of spec.nodes) {
    let out: string;
    switch (node.op) {
      case 'input':
        out = images;
        break;
      case 'conv': {
        const pad = Math.floor(node.kernel / 2);
        const inputs = [get(node.input), tensor(`${node.name}.weight`)];
        if (node.bias) inputs.push(tensor(`${node.name}.bias`));
        out = b.node('Conv', inputs, {
          kernel_shape: [node.kernel, node.kernel],
          strides: [node.stride, node.stride],
          pads: [pad, pad, pad, pad],
          group: node.groups,
        });
        break;
      }
      case 'normAct': {
        const channels = inputChannels(shapes, node);
        const slot = options.slots?.get(node.name) ?? {};
        if (options.slotImpl === 'stock-bn-relu') {
          out = stockBnRelu(b, get(node.input), channels, dtype, node.name, slot);
        } else {
          const layerOptions = { channels, dtype: options.dtype ?? 'float32', optimize: options.optimize ?? false, groups: options.groups ?? DEFAULT_GROUPS };
          out = options.functions
            ? emitLayerCall(b, layer, get(node.input), { ...layerOptions, ...slot }, `${node.name}/`, functionNames)
            : emitLayer(b, layer, get(node.input), { ...layerOptions, ...slot }, `${node.name}/`);
        }
        break;
      }
      case 'batchNorm':
        out = b.node(
          'BatchNormalization',
          ['gamma', 'beta', 'mean', 'var'].reduce((acc, k) => [...acc, tensor(`${node.name}.${k}`)], [get(node.input)]),
          { epsilon: { float: EPSILON } },
        );
        break;
      case 'add':
        out = b.node('Add', [get(node.inputs[0]), get(node.inputs[1])]);
        break;
      case 'scale':
        out = b.node('Mul', [get(node.input), get(node.scale)]);
        break;
      case 'swish':
        out = b.node('Mul', [get(node.input), b.node('Sigmoid', [get(node.input)])]);
        break;
      case 'sigmoid':
        out = b.node('Sigmoid', [get(node.input)]);
        break;
      case 'globalAvgPool':
        out = b.node('GlobalAveragePool', [get(node.input)]);
        break;
      case 'maxPool': {
        const pad = Math.floor(node.kernel / 2);
        out = b.node('MaxPool', [get(node.input)], {
          kernel_shape: [node.kernel, node.kernel],
          strides: [node.stride, node.stride],
          pads: [pad, pad, pad, pad],
        });
        break;
      }
      case 'dense':
        out = b.node('Gemm', [b.node('Flatten', [get(node.input)]), tensor(`${node.name}.weight`), tensor(`${node.name}.bias`)], {
          transB: 1,
        });
        break;
    }
    values.set(node.name, out);
  }
  return get(spec.nodes[spec.nodes.length - 1]!.name);
}

/** BN (moving statistics) with the layer's v1, v0 as its affine, ReLU, then the γ, β affine. */
function stockBnRelu(b: GraphBuilder, x: string, channels: number, dtype: DType, name: string, slot: SlotWeights): string {
  const params = slot.params;
  const vec = (stem: string, values: Float64Array | undefined, fill: number): string => b.initializer(`${name}/${stem}`, values ?? new Float64Array(channels).fill(fill), [channels], dtype);
  // The zoo's BN-ReLU keeps its moving mean at node 4 and moving variance at node 7.
  const bn = b.node('BatchNormalization', [x, vec('v1', params?.v1, 1), vec('v0', params?.v0, 0), vec('mean', slot.state?.get(4), 0), vec('var', slot.state?.get(7), 1)], {
    epsilon: { float: EPSILON },
  });
  const relu = b.node('Relu', [bn]);
  const affine = (stem: string, values: Float64Array | undefined, fill: number): string =>
    b.initializer(`${name}/${stem}`, values ?? new Float64Array(channels).fill(fill), [1, channels, 1, 1], dtype);
  return b.node('Add', [b.node('Mul', [relu, affine('gamma', params?.gamma, 1)]), affine('beta', params?.beta, 0)]);
}

/** A model with input `images` [N, C, H, W] and output `logits` [N, classes]. */
export function exportNetwork(spec: NetworkSpec, layer: LayerGraph, options: NetworkExportOptions = {}): Uint8Array {
  const b = new GraphBuilder(spec.name);
  const dtype = options.dtype ?? 'float32';
  const batch: Dim = options.batch ?? 'N';
  const images = b.input('images', dtype, [batch, ...spec.input]);
  const logits = emitNetwork(b, spec, layer, images, options);
  b.output(b.node('Identity', [logits], {}, { output: 'logits' }), dtype, [batch, spec.classes]);
  return b.model({ docString: `${spec.name} with an evonorm layer in its ${spec.nodes.filter((n) => n.op === 'normAct').length} norm-act slots` });
}
