/**
 * Training-step and evaluation graphs. One training step is one ONNX graph: the forward pass in
 * training form, softmax cross-entropy, reverse-mode gradients, and SGD with momentum and weight
 * decay (none on v0, v1, γ, β or biases), the learning rate an input. Parameters, momentum buffers
 * and moving averages go in as inputs and come out updated.
 */
import type { LayerGraph } from '@evonorm/graph';
import type { NetworkSpec } from '@evonorm/nets';
import { gradients } from '../autodiff/gradients.js';
import { TensorGraph } from '../autodiff/tensor-graph.js';
import { emitNetworkTensors, type NetworkLayout } from './network-tensors.js';

export interface TrainStepOptions {
  readonly batch: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
}

export const paramInput = (name: string): string => `param.${name}`;
export const momentumInput = (name: string): string => `momentum.${name}`;
export const stateInput = (name: string): string => `state.${name}`;
export const updated = (input: string): string => `new.${input}`;

/** A graph with the inputs every network graph here reads: images, one-hot labels, parameters, state. */
function networkGraph(name: string, spec: NetworkSpec, layout: NetworkLayout, batch: number) {
  const g = new TensorGraph(name, 'float32');
  const images = g.input('images', [batch, ...spec.input]);
  const labels = g.input('labels', [batch, spec.classes]);
  const inputs = new Map<string, string>();
  for (const p of layout.params) inputs.set(p.name, g.input(paramInput(p.name), p.shape));
  for (const s of layout.state) inputs.set(s.name, g.input(stateInput(s.name), s.shape));
  const input = (name: string): string => {
    const v = inputs.get(name);
    if (!v) throw new Error(`no parameter or state named ${name}`);
    return v;
  };
  return { g, images, labels, input };
}

/** Cross-entropy summed over the batch and the number of correct predictions. */
function lossAndCorrect(g: TensorGraph, logits: string, labels: string): { lossSum: string; correct: string } {
  const logp = g.logSoftmax(logits);
  const lossSum = g.unary('Neg', g.reduce('ReduceSum', g.mul(logp, labels), [0, 1]));
  const b = g.builder;
  const hits = b.node('Equal', [b.node('ArgMax', [logits], { axis: 1, keepdims: 0 }), b.node('ArgMax', [labels], { axis: 1, keepdims: 0 })]);
  const correct = b.node('ReduceSum', [b.node('Cast', [hits], { to: 1 })], { keepdims: 0 });
  return { lossSum, correct };
}

/** Inputs: images, labels (one-hot), lr [1], params, momenta, state. Outputs: loss, correct, updated tensors. */
export function buildTrainStep(spec: NetworkSpec, layer: LayerGraph, layout: NetworkLayout, options: TrainStepOptions): Uint8Array {
  const { g, images, labels, input } = networkGraph(`${spec.name}_train_step`, spec, layout, options.batch);
  const lr = g.input('lr', [1]);
  const net = emitNetworkTensors(g, spec, layer, images, 'train', input);
  const { lossSum, correct } = g.scoped('loss', () => lossAndCorrect(g, net.logits, labels));
  const loss = g.scoped('loss', () => g.mul(lossSum, g.constant(1 / options.batch, [1, 1])));
  const grads = gradients(
    g,
    loss,
    layout.params.map((p) => input(p.name)),
  );

  const b = g.builder;
  b.scope = 'optimizer';
  const mu = b.initializer('momentum_coefficient', [options.momentum ?? 0.9], [], 'float32');
  const wd = b.initializer('weight_decay', [options.weightDecay ?? 5e-4], [], 'float32');
  for (const p of layout.params) {
    const value = input(p.name);
    const m = b.input(momentumInput(p.name), 'float32', p.shape);
    let grad = grads.get(value)!;
    if (p.decay) grad = b.node('Add', [grad, b.node('Mul', [value, wd])]);
    const newM = b.node('Add', [b.node('Mul', [m, mu]), grad], {}, { output: updated(momentumInput(p.name)) });
    const newP = b.node('Sub', [value, b.node('Mul', [newM, lr])], {}, { output: updated(paramInput(p.name)) });
    b.output(newM, 'float32', p.shape);
    b.output(newP, 'float32', p.shape);
  }
  for (const s of layout.state) {
    const out = b.node('Identity', [net.state.get(s.name)!], {}, { output: updated(stateInput(s.name)) });
    b.output(out, 'float32', s.shape);
  }
  b.output(b.node('Identity', [loss], {}, { output: 'loss' }), 'float32', [1, 1]);
  b.output(b.node('Identity', [correct], {}, { output: 'correct' }), 'float32', []);
  return g.model();
}

/**
 * Inputs: images, labels, params, state. Outputs: loss_sum, correct. Inference form (moving
 * averages), or with `batchStatistics` training form: each batch normalized by its own statistics,
 * the moving averages read by nothing and left as they are.
 */
export function buildEvaluation(spec: NetworkSpec, layer: LayerGraph, layout: NetworkLayout, batch: number, batchStatistics = false): Uint8Array {
  const { g, images, labels, input } = networkGraph(`${spec.name}_eval`, spec, layout, batch);
  const net = emitNetworkTensors(g, spec, layer, images, batchStatistics ? 'train' : 'infer', input);
  const { lossSum, correct } = lossAndCorrect(g, net.logits, labels);
  const b = g.builder;
  b.output(b.node('Identity', [lossSum], {}, { output: 'loss_sum' }), 'float32', [1, 1]);
  b.output(b.node('Identity', [correct], {}, { output: 'correct' }), 'float32', []);
  return g.model();
}

/** Inputs: images, labels, params, state. Outputs: loss and `grad.<param>` for every parameter (training form). */
export function buildGradient(spec: NetworkSpec, layer: LayerGraph, layout: NetworkLayout, batch: number): Uint8Array {
  const { g, images, labels, input } = networkGraph(`${spec.name}_gradient`, spec, layout, batch);
  const net = emitNetworkTensors(g, spec, layer, images, 'train', input);
  const { lossSum } = lossAndCorrect(g, net.logits, labels);
  const loss = g.mul(lossSum, g.constant(1 / batch, [1, 1]));
  const grads = gradients(
    g,
    loss,
    layout.params.map((p) => input(p.name)),
  );
  const b = g.builder;
  for (const p of layout.params) {
    b.output(b.node('Identity', [grads.get(input(p.name))!], {}, { output: `grad.${p.name}` }), 'float32', p.shape);
  }
  b.output(b.node('Identity', [loss], {}, { output: 'loss' }), 'float32', [1, 1]);
  return g.model();
}
