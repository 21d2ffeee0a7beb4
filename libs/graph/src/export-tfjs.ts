/**
 * A layer as a TensorFlow.js layer class: one ES module a user imports next to
 * `@tensorflow/tfjs`. Same semantics as the float64 interpreter and the PyTorch export
 * (export-torch.ts): v0, v1, γ, β trainable per channel; one non-trainable moving average per
 * batch aggregate (decay 0.9, a variance stored unbiased), updated when called with
 * `{training: true}` and read otherwise; groups of c/g channels. Inputs are NHWC by default
 * (`dataFormat: 'channelsLast'`, what TF.js's convolutions use) or NCHW (`'channelsFirst'`).
 */
import { DEFAULT_GROUPS, EPSILON, MOVING_AVERAGE_DECAY, NUM_INITIAL, X_ID, isBatchAggregate, type AggregateOp, type LayerGraph } from './ops.js';
import { layerJson } from './layer-json.js';
import { renderFormula } from './render.js';

export interface TfjsExportOptions {
  /** Class name (default EvoLayer); also its name for tf.serialization. */
  readonly className?: string;
  /** Where the layer came from, for the header comment. */
  readonly source?: string;
}

const INITIAL_VALUES = ['x', 'zero', 'v0', 'v1'];
const value = (id: number): string => (id < NUM_INITIAL ? INITIAL_VALUES[id]! : `t${id}`);

function statistic(op: AggregateOp, a: string, axes: string): string {
  if (op === 'mean') return `tf.mean(${a}, ${axes}, true)`;
  if (op === 'rms') return `tf.mean(tf.square(${a}), ${axes}, true)`;
  return `tf.moments(${a}, ${axes}, true).variance`;
}

const finish = (op: AggregateOp, stat: string): string => (op === 'mean' ? stat : `tf.sqrt(tf.add(${stat}, this.eps))`);

function nodeLines(graph: LayerGraph): string[] {
  const lines: string[] = [];
  graph.nodes.forEach((node, index) => {
    const id = index + NUM_INITIAL;
    const a = value(node.inputs[0]!);
    const b = node.inputs.length > 1 ? value(node.inputs[1]!) : a;
    const out = `const ${value(id)}`;
    switch (node.op) {
      case 'add':
      case 'mul':
      case 'div':
        lines.push(`${out} = tf.${node.op}(${a}, ${b});`);
        break;
      case 'max':
        // TF.js's Maximum gradient does not sum over broadcast axes: both operands at full shape.
        lines.push(`${out} = tf.maximum(tf.broadcastTo(${a}, [n, c, h, w]), tf.broadcastTo(${b}, [n, c, h, w]));`);
        break;
      case 'neg':
      case 'sigmoid':
      case 'tanh':
      case 'exp':
      case 'abs':
      case 'square':
        lines.push(`${out} = tf.${node.op}(${a});`);
        break;
      case 'log':
        lines.push(`${out} = tf.mul(tf.sign(${a}), tf.log(tf.abs(${a})));`);
        break;
      case 'sqrt':
        lines.push(`${out} = tf.mul(tf.sign(${a}), tf.sqrt(tf.abs(${a})));`);
        break;
      case 'mean':
      case 'rms':
      case 'std': {
        const op = node.op;
        // Every value is taken at the input's full shape, as the interpreter holds it.
        const full = node.inputs[0] === X_ID ? a : `tf.broadcastTo(${a}, [n, c, h, w])`;
        if (node.axes === 'bwh') {
          const moving = `this.moving${id}`;
          lines.push(`let s${id};`);
          lines.push(`if (training) {`);
          lines.push(`  s${id} = ${statistic(op, full, '[0, 2, 3]')};`);
          const correction = op === 'std' ? ' * count / Math.max(count - 1, 1)' : '';
          lines.push(`  updates.push([${moving}, tf.add(tf.mul(${moving}.read(), this.decay), tf.mul(tf.reshape(s${id}, [c]), (1 - this.decay)${correction}))]);`);
          lines.push(`} else {`);
          lines.push(`  s${id} = tf.reshape(${moving}.read(), [1, c, 1, 1]);`);
          lines.push(`}`);
          lines.push(`${out} = ${finish(op, `s${id}`)};`);
        } else if (node.axes === 'whcg') {
          lines.push(`const g${id} = tf.reshape(${full}, [n, this.groups, c / this.groups, h, w]);`);
          lines.push(`${out} = tf.reshape(tf.broadcastTo(${finish(op, statistic(op, `g${id}`, '[2, 3, 4]'))}, [n, this.groups, c / this.groups, 1, 1]), [n, c, 1, 1]);`);
        } else {
          lines.push(`${out} = ${finish(op, statistic(op, full, node.axes === 'wh' ? '[2, 3]' : '[1, 2, 3]'))};`);
        }
        break;
      }
    }
  });
  return lines;
}

/** ES module source of a tf.layers.Layer computing `graph` followed by the affine `out * γ + β`. */
export function tfjsLayerSource(graph: LayerGraph, options: TfjsExportOptions = {}): string {
  const className = options.className ?? 'EvoLayer';
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(className)) throw new Error(`not a JavaScript class name: ${className}`);
  const batchAggregates = graph.nodes.map((node, index) => ({ node, id: index + NUM_INITIAL })).filter(({ node }) => isBatchAggregate(node));
  const indent = (lines: string[], spaces: number): string => lines.map((l) => `${' '.repeat(spaces)}${l}`).join('\n');
  const moving = batchAggregates.map(
    ({ node, id }) => `this.moving${id} = this.addWeight('moving${id}', [c], 'float32', tf.initializers.${node.op === 'mean' ? 'zeros' : 'ones'}(), undefined, false);`,
  );
  const last = value(graph.nodes.length + NUM_INITIAL - 1);
  const comment = (text: string): string => text.replace(/\*\//g, '* /');
  return `/**
 * ${className}: a normalization-activation layer found by evonorm${options.source ? ` (${comment(options.source)})` : ''}.
 *
 *   y = gamma * f(x) + beta,  f(x) = ${comment(renderFormula(graph, 'text'))}
 *
 * v0, v1, gamma, beta: per-channel weights (initialized 0, 1, 1, 0). Batch aggregates (b,w,h) use
 * the batch's statistics when called with {training: true} and update their moving averages;
 * otherwise they read the moving averages. Generated from the layer graph in GRAPH; evonorm's
 * float64 interpreter is the reference it was tested against.
 */
import * as tf from '@tensorflow/tfjs';

export const GRAPH = ${JSON.stringify(layerJson(graph))};

export class ${className} extends tf.layers.Layer {
  static className = '${className}';

  constructor({ groups = ${DEFAULT_GROUPS}, eps = ${EPSILON}, momentum = ${Number((1 - MOVING_AVERAGE_DECAY).toFixed(6))}, dataFormat = 'channelsLast', ...config } = {}) {
    super(config);
    this.groupsWanted = groups;
    this.eps = eps;
    this.momentum = momentum;
    this.decay = 1 - momentum;
    this.dataFormat = dataFormat;
  }

  build(inputShape) {
    const c = this.dataFormat === 'channelsLast' ? inputShape[3] : inputShape[1];
    this.channels = c;
    // The largest divisor of c that is at most groups, as in the search.
    this.groups = 1;
    for (let g = Math.min(this.groupsWanted, c); g >= 1; g--) {
      if (c % g === 0) {
        this.groups = g;
        break;
      }
    }
    this.v0 = this.addWeight('v0', [c], 'float32', tf.initializers.zeros());
    this.v1 = this.addWeight('v1', [c], 'float32', tf.initializers.ones());
    this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros());
${moving.length ? indent(moving, 4) : '    // no batch aggregates: nothing kept between calls'}
    this.built = true;
  }

  computeOutputShape(inputShape) {
    return inputShape;
  }

  call(inputs, kwargs = {}) {
    const training = kwargs.training === true;
    const updates = [];
    const result = tf.tidy(() => {
      const input = Array.isArray(inputs) ? inputs[0] : inputs;
      const x = this.dataFormat === 'channelsLast' ? tf.transpose(input, [0, 3, 1, 2]) : input;
      const [n, c, h, w] = x.shape;
      const count = n * h * w;
      const zero = tf.scalar(0);
      const v0 = tf.reshape(this.v0.read(), [1, c, 1, 1]);
      const v1 = tf.reshape(this.v1.read(), [1, c, 1, 1]);
${indent(nodeLines(graph), 6)}
      const out = tf.add(tf.mul(tf.broadcastTo(${last}, [n, c, h, w]), tf.reshape(this.gamma.read(), [1, c, 1, 1])), tf.reshape(this.beta.read(), [1, c, 1, 1]));
      updates.forEach((update) => tf.keep(update[1]));
      return this.dataFormat === 'channelsLast' ? tf.transpose(out, [0, 2, 3, 1]) : out;
    });
    for (const [variable, next] of updates) {
      variable.write(next);
      next.dispose();
    }
    return result;
  }

  getConfig() {
    return { ...super.getConfig(), groups: this.groupsWanted, eps: this.eps, momentum: this.momentum, dataFormat: this.dataFormat };
  }
}

tf.serialization.registerClass(${className});
`;
}
