/**
 * A network description (libs/nets) compiled to TensorFlow.js with the candidate layer in every
 * norm-act slot. Activations stay NCHW like the ONNX engine and the reference interpreter;
 * convolutions run in NHWC (what every TensorFlow.js backend implements, depthwise included)
 * behind two transposes. Parameters and state are looked up by the same names as the ONNX
 * engine's layout, so both engines can start from identical numbers.
 */
import { EPSILON, MOVING_AVERAGE_DECAY, NUM_INITIAL, type LayerGraph } from '@evonorm/graph';
import type { NetworkSpec } from '@evonorm/nets';
import { tf } from './backend.js';
import { applyLayer } from './layer.js';

export type Mode = 'train' | 'infer';

export interface NetworkOutput {
  readonly logits: tf.Tensor2D;
  /** Updated moving averages by state name (training); empty in inference. */
  readonly state: Map<string, tf.Tensor>;
}

function conv(x: tf.Tensor4D, weight: tf.Tensor, node: Extract<NetworkSpec['nodes'][number], { op: 'conv' }>, bias: tf.Tensor | undefined): tf.Tensor4D {
  const pad = Math.floor(node.kernel / 2);
  const nhwc = tf.pad(tf.transpose(x, [0, 2, 3, 1]), [
    [0, 0],
    [pad, pad],
    [pad, pad],
    [0, 0],
  ]) as tf.Tensor4D;
  const cin = x.shape[1];
  let y: tf.Tensor4D;
  if (node.groups === 1) {
    // [out, in, k, k] → [k, k, in, out]
    y = tf.conv2d(nhwc, tf.transpose(weight, [2, 3, 1, 0]) as tf.Tensor4D, node.stride, 'valid');
  } else if (node.groups === cin && node.out === cin) {
    // depthwise: [C, 1, k, k] → [k, k, C, 1]
    y = tf.depthwiseConv2d(nhwc, tf.transpose(weight, [2, 3, 0, 1]) as tf.Tensor4D, node.stride, 'valid');
  } else {
    throw new Error(`${node.name}: grouped convolutions other than depthwise are not supported by the tfjs engine`);
  }
  const out = tf.transpose(y, [0, 3, 1, 2]) as tf.Tensor4D;
  return bias ? (tf.add(out, tf.reshape(bias, [1, node.out, 1, 1])) as tf.Tensor4D) : out;
}

/**
 * Runs the network on `images` [N, C, H, W]. `value(name)` gives a parameter or state tensor by
 * its layout name (e.g. "stem.weight", "block1/norm1/v0", "block1/norm1/moving6").
 */
export function applyNetwork(spec: NetworkSpec, layer: LayerGraph, images: tf.Tensor4D, value: (name: string) => tf.Tensor, mode: Mode): NetworkOutput {
  const values = new Map<string, tf.Tensor>();
  const state = new Map<string, tf.Tensor>();
  const get = (name: string): tf.Tensor => values.get(name)!;
  for (const node of spec.nodes) {
    let out: tf.Tensor;
    switch (node.op) {
      case 'input':
        out = images;
        break;
      case 'conv':
        out = conv(get(node.input) as tf.Tensor4D, value(`${node.name}.weight`), node, node.bias ? value(`${node.name}.bias`) : undefined);
        break;
      case 'normAct': {
        const moving = new Map<number, tf.Tensor>();
        layer.nodes.forEach((n, i) => {
          if (n.axes === 'bwh') moving.set(i + NUM_INITIAL, value(`${node.name}/moving${i + NUM_INITIAL}`));
        });
        const p = (k: string): tf.Tensor => value(`${node.name}/${k}`);
        const result = applyLayer(layer, get(node.input) as tf.Tensor4D, { v0: p('v0'), v1: p('v1'), gamma: p('gamma'), beta: p('beta') }, { mode, moving });
        if (mode === 'train') for (const [id, t] of result.moving) state.set(`${node.name}/moving${id}`, t);
        out = result.y;
        break;
      }
      case 'batchNorm': {
        const x = get(node.input);
        let mean = value(`${node.name}.mean`);
        let variance = value(`${node.name}.var`);
        if (mode === 'train') {
          const [n, , h, w] = x.shape as [number, number, number, number];
          const count = n * h * w;
          const batchMean = tf.mean(x, [0, 2, 3], true);
          const batchVar = tf.mean(tf.square(tf.sub(x, batchMean)), [0, 2, 3], true);
          const d = MOVING_AVERAGE_DECAY;
          state.set(`${node.name}.mean`, tf.add(tf.mul(mean, d), tf.mul(batchMean, 1 - d)));
          state.set(`${node.name}.var`, tf.add(tf.mul(variance, d), tf.mul(batchVar, (1 - d) * (count / Math.max(1, count - 1)))));
          mean = batchMean;
          variance = batchVar;
        }
        const normalized = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, EPSILON)));
        out = tf.add(tf.mul(normalized, value(`${node.name}.gamma`)), value(`${node.name}.beta`));
        break;
      }
      case 'add':
        out = tf.add(get(node.inputs[0]), get(node.inputs[1]));
        break;
      case 'scale':
        out = tf.mul(get(node.input), get(node.scale));
        break;
      case 'swish':
        out = tf.mul(get(node.input), tf.sigmoid(get(node.input)));
        break;
      case 'sigmoid':
        out = tf.sigmoid(get(node.input));
        break;
      case 'globalAvgPool':
        out = tf.mean(get(node.input), [2, 3], true);
        break;
      case 'dense': {
        const x = get(node.input);
        const flat = tf.reshape(x, [x.shape[0]!, -1]) as tf.Tensor2D;
        out = tf.add(tf.matMul(flat, value(`${node.name}.weight`) as tf.Tensor2D, false, true), value(`${node.name}.bias`));
        break;
      }
      case 'maxPool':
        throw new Error('the tfjs engine does not train maxPool (only the full-size ResNet stem uses it)');
    }
    values.set(node.name, out);
  }
  return { logits: get(spec.nodes[spec.nodes.length - 1]!.name) as tf.Tensor2D, state };
}

/** Mean softmax cross-entropy and the number of correct predictions. */
export function lossAndCorrect(logits: tf.Tensor2D, labels: tf.Tensor1D, classes: number): { loss: tf.Scalar; correct: tf.Scalar } {
  const onehot = tf.oneHot(labels, classes);
  const loss = tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar;
  return { loss, correct };
}
