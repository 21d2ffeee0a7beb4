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

/** ∂L/∂W of a Conv (ordinary or depthwise) from its input x and output gradient. */
function convWeightGradient(g: TensorGraph, x: string, w: string, grad: string, attrs: ConvAttributes): string {
  const [n, cin, h, wd] = g.shape(x) as [number, number, number, number];
  const [cout, , kh, kw] = g.shape(w) as [number, number, number, number];
  const [, , oh, ow] = g.shape(grad) as [number, number, number, number];
  if (attrs.group === 1) {
    // Batch as channels: out[i, o, a, b] = Σ_{n,y,x} x[n, i, a + y·s − p, ...] · grad[n, o, y, x].
    const xt = g.transpose(x, [1, 0, 2, 3]);
    const gt = g.transpose(grad, [1, 0, 2, 3]);
    let r = g.dilatedConv(xt, gt, attrs.strides, attrs.pads, 1);
    r = g.slice(g.slice(r, 2, 0, kh), 3, 0, kw);
    return g.transpose(r, [1, 0, 2, 3]);
  }
  if (attrs.group === cin && cout === cin) {
    // Depthwise: each (sample, channel) pair is its own group.
    const xr = g.reshape(x, [1, n * cin, h, wd]);
    const gr = g.reshape(grad, [n * cin, 1, oh, ow]);
    let r = g.dilatedConv(xr, gr, attrs.strides, attrs.pads, n * cin);
    r = g.slice(g.slice(r, 2, 0, kh), 3, 0, kw);
    const summed = g.reduce('ReduceSum', g.reshape(r, [n, cin, kh, kw]), [0]);
    return g.reshape(summed, [cin, 1, kh, kw]);
  }
  throw new Error(`no weight-gradient rule for Conv with ${attrs.group} groups of ${cin} channels`);
}

const RULES: Record<string, Rule> = {
  Add: (g, op, d) => [unbroadcast(g, d, g.shape(op.inputs[0]!)), unbroadcast(g, d, g.shape(op.inputs[1]!))],
  Sub: (g, op, d) => [unbroadcast(g, d, g.shape(op.inputs[0]!)), unbroadcast(g, g.unary('Neg', d), g.shape(op.inputs[1]!))],
  Mul: (g, op, d) => {
    const [a, b] = op.inputs as [string, string];
    return [unbroadcast(g, g.mul(d, b), g.shape(a)), unbroadcast(g, g.mul(d, a), g.shape(b))];
  },
  Div: (g, op, d) => {
    const [a, b] = op.inputs as [string, string];
    const da = g.div(d, b);
    // ∂(a/b)/∂b = −(a/b)/b
    const db = g.unary('Neg', g.div(g.mul(d, op.output), b));
    return [unbroadcast(g, da, g.shape(a)), unbroadcast(g, db, g.shape(b))];
  },
  Max: (g, op, d) => {
    const [a, b] = op.inputs as [string, string];
    const mask = g.greaterOrEqual(a, b); // ties go to the first operand
    const rest = g.sub(g.constant(1), mask);
    return [unbroadcast(g, g.mul(d, mask), g.shape(a)), unbroadcast(g, g.mul(d, rest), g.shape(b))];
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
  Relu: (g, op, d) => [g.mul(d, g.greaterOrEqual(op.inputs[0]!, g.constant(0)))],
  Cast: () => [undefined],
  ReduceSum: (g, op, d) => [g.expand(d, g.shape(op.inputs[0]!)), undefined],
  ReduceMean: (g, op, d) => {
    const x = op.inputs[0]!;
    const n = count(g, x, g.shape(op.output));
    return [g.mul(g.expand(d, g.shape(x)), g.constant(1 / n))];
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
    return [g.mul(g.expand(d, g.shape(x)), g.constant(1 / (h! * w!)))];
  },
  Conv: (g, op, d) => {
    const [x, w, b] = op.inputs as [string, string, string | undefined];
    const attrs = convAttributes(op);
    const [, , h, wd] = g.shape(x);
    const dx = g.convTranspose(d, w, attrs, [h!, wd!]);
    const dw = convWeightGradient(g, x, w, d, attrs);
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
    const inputGrads = rule(g, op, d);
    op.inputs.forEach((input, i) => {
      const gi = inputGrads[i];
      if (gi && dependsOnWrt.has(input) && lossNeeds.has(input)) accumulate(input, gi);
    });
  }
  return new Map(wrt.map((v) => [v, grads.get(v) ?? g.constant(0, g.shape(v))]));
}
