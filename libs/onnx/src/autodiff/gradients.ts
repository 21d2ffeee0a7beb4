/**
 * Reverse-mode differentiation of a TensorGraph: walks the recorded ops backwards from a scalar
 * loss and emits gradient ops into the same graph, one rule per op type. Broadcast gradients are
 * summed back to their operand's shape.
 */
import type { ConvAttributes, RecordedOp, Shape, TensorGraph } from './tensor-graph.js';

type Rule = (g: TensorGraph, op: RecordedOp, grad: string) => Array<string | undefined>;

/** Sums a broadcast gradient back to `target` (same rank). */
export function unbroadcast(g: TensorGraph, grad: string, target: Shape): string {
  const shape = g.shape(grad);
  const axes = target.flatMap((d, i) => (d === 1 && shape[i] !== 1 ? [i] : []));
  return axes.length > 0 ? g.reduce('ReduceSum', grad, axes) : grad;
}

const count = (g: TensorGraph, value: string, reduced: Shape): number => g.shape(value).reduce((acc, d, i) => acc * (reduced[i] === 1 && d !== 1 ? d : 1), 1);

function convAttributes(op: RecordedOp): ConvAttributes {
  const a = op.attributes as { strides: number[]; pads: number[]; group: number; dilations?: number[] };
  if (a.dilations && a.dilations.some((d) => d !== 1)) throw new Error('no gradient rule for dilated Conv');
  return { strides: [a.strides[0]!, a.strides[1]!], pads: [a.pads[0]!, a.pads[1]!, a.pads[2]!, a.pads[3]!], group: a.group };
}

/** The identity kernel of an im2col: output channel t copies kernel tap t of its one input channel. */
function tapKernel(g: TensorGraph, kh: number, kw: number): string {
  const taps = kh * kw;
  const eye = Array.from({ length: taps * taps }, (_, i) => (Math.floor(i / taps) === i % taps ? 1 : 0));
  return g.initializer('im2col_taps', eye, [taps, 1, kh, kw]);
}

/**
 * im2col as one Conv: every channel of x [N, C, H, W] (as N·C one-channel images) against the
 * identity kernel gives [N·C, kh·kw, oh, ow], the values each kernel tap sees.
 */
function im2col(g: TensorGraph, x: string, kh: number, kw: number, attrs: ConvAttributes): string {
  const [n, c, h, w] = g.shape(x) as [number, number, number, number];
  return g.conv(g.reshape(x, [n * c, 1, h, w]), tapKernel(g, kh, kw), undefined, { strides: attrs.strides, pads: attrs.pads, group: 1 });
}

/**
 * ∂L/∂W of a Conv (ordinary or depthwise) from its input x and output gradient: an im2col (one
 * Conv with an identity kernel) and a matrix product. ORT ran the textbook form, a Conv whose
 * kernel is the whole output gradient, at a fifth of its forward convolution's speed.
 */
function convWeightGradient(g: TensorGraph, x: string, w: string, grad: string, attrs: ConvAttributes): string {
  const [n, cin] = g.shape(x) as [number, number, number, number];
  const [cout, , kh, kw] = g.shape(w) as [number, number, number, number];
  const [, , oh, ow] = g.shape(grad) as [number, number, number, number];
  const taps = kh * kw;
  const positions = oh * ow;
  if (attrs.group === 1) {
    // dW[o, (i, t)] = Σ_{n,p} grad[n, o, p] · cols[n, (i, t), p]
    if (positions >= 128) {
      // Large maps: one product per example ([(i, t), p] × [p, o]), summed over the batch.
      const cols = g.reshape(im2col(g, x, kh, kw, attrs), [n, cin * taps, positions]);
      const gradT = g.transpose(g.reshape(grad, [n, cout, positions]), [0, 2, 1]);
      const perExample = g.batchedMatmul(cols, gradT); // [n, (i, t), o]
      const summed = g.reshape(g.reduce('ReduceSum', perExample, [0]), [cin * taps, cout]);
      return g.reshape(g.transpose(summed, [1, 0]), [cout, cin, kh, kw]);
    }
    // Small maps: one product over batch and positions, the columns laid out [(i, t), (n, p)].
    const cols = g.reshape(im2col(g, g.transpose(x, [1, 0, 2, 3]), kh, kw, attrs), [cin, n, taps, positions]);
    const columns = g.reshape(g.transpose(cols, [0, 2, 1, 3]), [cin * taps, n * positions]);
    const rows = g.reshape(g.transpose(grad, [1, 0, 2, 3]), [cout, n * positions]);
    return g.reshape(g.matmulTransposed(rows, columns), [cout, cin, kh, kw]);
  }
  if (attrs.group === cin && cout === cin) {
    // Depthwise: dW[c, t] = Σ_n Σ_p cols[n, c, t, p] · grad[n, c, p], a product per (example, channel).
    const cols = g.reshape(im2col(g, x, kh, kw, attrs), [n, cin, taps, positions]);
    const perExample = g.batchedMatmul(cols, g.reshape(grad, [n, cin, positions, 1])); // [n, c, t, 1]
    return g.reshape(g.reduce('ReduceSum', perExample, [0]), [cin, 1, kh, kw]);
  }
  throw new Error(`no weight-gradient rule for Conv with ${attrs.group} groups of ${cin} channels`);
}

/**
 * ∂L/∂x of a Conv. With stride 1 a Conv with the kernel transposed and flipped (ORT runs it about
 * twice as fast as the equivalent ConvTranspose); with other strides a ConvTranspose.
 */
function convInputGradient(g: TensorGraph, grad: string, w: string, attrs: ConvAttributes, inputHW: readonly [number, number]): string {
  const [cout, cinPerGroup, kh, kw] = g.shape(w) as [number, number, number, number];
  const samePads = attrs.pads[0] === attrs.pads[2] && attrs.pads[1] === attrs.pads[3] && 2 * attrs.pads[0] === kh - 1 && 2 * attrs.pads[1] === kw - 1;
  if (attrs.strides[0] !== 1 || attrs.strides[1] !== 1 || !samePads) return g.convTranspose(grad, w, attrs, inputHW);
  let kernel = g.flip2d(w);
  if (attrs.group === 1) kernel = g.transpose(kernel, [1, 0, 2, 3]);
  else if (cinPerGroup !== 1 || cout !== attrs.group) return g.convTranspose(grad, w, attrs, inputHW);
  return g.conv(grad, kernel, undefined, attrs);
}

const RULES: Record<string, Rule> = {
  Add: (g, op, d) => [unbroadcast(g, d, g.shape(op.inputs[0]!)), unbroadcast(g, d, g.shape(op.inputs[1]!))],
  // Negate after summing: a broadcast operand's gradient is small.
  Sub: (g, op, d) => [unbroadcast(g, d, g.shape(op.inputs[0]!)), g.unary('Neg', unbroadcast(g, d, g.shape(op.inputs[1]!)))],
  Mul: (g, op, d) => {
    const [a, b] = op.inputs as [string, string];
    return [unbroadcast(g, g.mul(d, b), g.shape(a)), unbroadcast(g, g.mul(d, a), g.shape(b))];
  },
  Div: (g, op, d) => {
    const [a, b] = op.inputs as [string, string];
    const da = g.div(d, b);
    // ∂(a/b)/∂b = −(a/b)/b; a broadcast b is constant along the summed axes, so divide after summing.
    const db = g.unary('Neg', g.div(unbroadcast(g, g.mul(d, op.output), g.shape(b)), b));
    return [unbroadcast(g, da, g.shape(a)), db];
  },
  Max: (g, op, d) => {
    const [a, b] = op.inputs as [string, string];
    // Ties go to the first operand. Where(a < b, …) selects in one pass what a 0/1 mask and a product take three for.
    const zero = g.constant(0);
    return [unbroadcast(g, g.whereLess(a, b, zero, d), g.shape(a)), unbroadcast(g, g.whereLess(a, b, d, zero), g.shape(b))];
  },
  Neg: (g, _op, d) => [g.unary('Neg', d)],
  Identity: (_g, _op, d) => [d],
  Sigmoid: (g, op, d) => [g.mul(d, g.mul(op.output, g.sub(g.constant(1), op.output)))],
  Tanh: (g, op, d) => [g.mul(d, g.sub(g.constant(1), g.mul(op.output, op.output)))],
  Exp: (g, op, d) => [g.mul(d, op.output)],
  Abs: (g, op, d) => [g.mul(d, g.unary('Sign', op.inputs[0]!))],
  Sign: () => [undefined],
  Log: (g, op, d) => [g.div(d, op.inputs[0]!)],
  Sqrt: (g, op, d) => [g.div(g.mul(d, g.constant(0.5)), op.output)],
  Reciprocal: (g, op, d) => [g.unary('Neg', g.mul(d, g.mul(op.output, op.output)))],
  Relu: (g, op, d) => [g.whereLess(op.inputs[0]!, g.constant(0), g.constant(0), d)],
  Cast: () => [undefined],
  ReduceSum: (g, op, d) => [g.expand(d, g.shape(op.inputs[0]!)), undefined],
  // Scale the small gradient, then broadcast it: one pass over memory, not two.
  ReduceMean: (g, op, d) => {
    const x = op.inputs[0]!;
    const n = count(g, x, g.shape(op.output));
    return [g.expand(g.mul(d, g.constant(1 / n)), g.shape(x))];
  },
  MeanSquare: (g, op, d) => {
    const n = (op.attributes as { count: number }).count;
    return [g.mul(op.inputs[0]!, g.mul(d, g.constant(2 / n)))];
  },
  ReduceSumSquare: (g, op, d) => {
    const x = op.inputs[0]!;
    return [g.mul(g.expand(d, g.shape(x)), g.mul(x, g.constant(2)))];
  },
  Reshape: (g, op, d) => [g.reshape(d, g.shape(op.inputs[0]!)), undefined],
  Transpose: (g, op, d) => {
    const perm = (op.attributes as { perm: number[] }).perm;
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [g.transpose(d, inverse)];
  },
  Expand: (g, op, d) => [unbroadcast(g, d, g.shape(op.inputs[0]!)), undefined],
  GlobalAveragePool: (g, op, d) => {
    const x = op.inputs[0]!;
    const [, , h, w] = g.shape(x);
    return [g.expand(g.mul(d, g.constant(1 / (h! * w!))), g.shape(x))];
  },
  Conv: (g, op, d) => {
    const [x, w, b] = op.inputs as [string, string, string | undefined];
    const attrs = convAttributes(op);
    const [, , h, wd] = g.shape(x);
    const dx = g.scoped(`${op.scope}.grad-input`, () => convInputGradient(g, d, w, attrs, [h!, wd!]));
    const dw = g.scoped(`${op.scope}.grad-weight`, () => convWeightGradient(g, x, w, d, attrs));
    const db = b ? g.reshape(g.reduce('ReduceSum', d, [0, 2, 3]), g.shape(b)) : undefined;
    return [dx, dw, db];
  },
  Gemm: (g, op, d) => {
    const [x, w, b] = op.inputs as [string, string, string];
    if ((op.attributes as { transB?: number }).transB !== 1) throw new Error('Gemm gradient needs transB = 1');
    return [g.matmul(d, w), g.matmul(g.transpose(d, [1, 0]), x), g.reshape(g.reduce('ReduceSum', d, [0]), g.shape(b))];
  },
  MatMul: (g, op, d) => {
    const [a, b] = op.inputs as [string, string];
    return [g.matmul(d, g.transpose(b, [1, 0])), g.matmul(g.transpose(a, [1, 0]), d)];
  },
  LogSoftmax: (g, op, d) => {
    // dx = d − softmax · Σ_classes d
    const softmax = g.unary('Exp', op.output);
    return [g.sub(d, g.mul(softmax, g.reduce('ReduceSum', d, [1])))];
  },
};

export function hasGradientRule(opType: string): boolean {
  return Object.prototype.hasOwnProperty.call(RULES, opType);
}

/**
 * Emits ∂loss/∂v for every v of `wrt` (loss must have one element). Values that do not influence
 * the loss get a zero gradient of their shape.
 */
export function gradients(g: TensorGraph, loss: string, wrt: readonly string[]): Map<string, string> {
  if (g.shape(loss).reduce((a, b) => a * b, 1) !== 1) throw new Error(`loss must be a scalar, got [${g.shape(loss)}]`);
  const ops = [...g.ops];
  // Values that depend on some wrt value, and values the loss depends on: only their intersection needs gradients.
  const dependsOnWrt = new Set(wrt);
  for (const op of ops) if (op.inputs.some((i) => dependsOnWrt.has(i))) dependsOnWrt.add(op.output);
  const lossNeeds = new Set([loss]);
  for (let k = ops.length - 1; k >= 0; k--) {
    const op = ops[k]!;
    if (lossNeeds.has(op.output)) for (const i of op.inputs) lossNeeds.add(i);
  }
  const grads = new Map<string, string>([[loss, g.constant(1, g.shape(loss))]]);
  const accumulate = (value: string, grad: string): void => {
    const previous = grads.get(value);
    grads.set(value, previous ? g.add(previous, grad) : grad);
  };
  for (let k = ops.length - 1; k >= 0; k--) {
    const op = ops[k]!;
    const d = grads.get(op.output);
    if (!d || !dependsOnWrt.has(op.output)) continue;
    const rule = RULES[op.opType];
    if (!rule) throw new Error(`no gradient rule for ${op.opType}`);
    // Gradient nodes are named after the op's scope ("layer" -> "layer.grad"), for the profiler.
    g.scoped(op.scope ? `${op.scope}.grad` : 'grad', () => {
      const inputGrads = rule(g, op, d);
      op.inputs.forEach((input, i) => {
        const gi = inputGrads[i];
        if (gi && dependsOnWrt.has(input) && lossNeeds.has(input)) accumulate(input, gi);
      });
    });
  }
  return new Map(wrt.map((v) => [v, grads.get(v) ?? g.constant(0, g.shape(v))]));
}
