/**
 * An ONNX graph with static shapes: every value knows its shape, so gradient rules can reduce a
 * broadcast gradient back to its operand's shape and size transposed convolutions exactly.
 * Training-step graphs have a fixed batch shape (one ORT session per network, layer and batch
 * shape), so static shapes cost nothing. Every op is recorded for reverse-mode differentiation.
 */
import { GraphBuilder, type AttributeValue, type DType } from '../builder.js';

export type Shape = readonly number[];

export interface RecordedOp {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly domain?: string;
  /** The builder's scope when the op was recorded (see GraphBuilder.scope). */
  readonly scope: string;
}

export interface ConvAttributes {
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
  readonly group: number;
}

const size = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

/** Numpy-style broadcast of two shapes (same rank required here: every value is kept at full rank). */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  if (a.length !== b.length) throw new Error(`broadcast of rank ${a.length} and ${b.length}: keep ranks equal`);
  return a.map((d, i) => {
    const e = b[i]!;
    if (d !== e && d !== 1 && e !== 1) throw new Error(`cannot broadcast [${a}] with [${b}]`);
    return Math.max(d, e);
  });
}

export class TensorGraph {
  readonly builder: GraphBuilder;
  readonly ops: RecordedOp[] = [];
  private readonly shapes = new Map<string, Shape>();
  private readonly constants = new Map<string, string>();
  /** Output of every recorded op by (type, inputs, attributes), for common-subexpression reuse. */
  private readonly computed = new Map<string, string>();
  private readonly int64Constants = new Map<string, string>();
  /** The recorded op that computed each value, for the algebraic rewrites in add and mul. */
  private readonly producers = new Map<string, RecordedOp>();

  constructor(
    name: string,
    readonly dtype: DType = 'float32',
  ) {
    this.builder = new GraphBuilder(name);
  }

  /** Runs `emit` with the builder's scope set to `scope` (nodes named "scope/n_Op"), then restores it. */
  scoped<T>(scope: string, emit: () => T): T {
    const previous = this.builder.scope;
    this.builder.scope = scope;
    try {
      return emit();
    } finally {
      this.builder.scope = previous;
    }
  }

  shape(value: string): Shape {
    const s = this.shapes.get(value);
    if (!s) throw new Error(`unknown value ${value}`);
    return s;
  }

  /**
   * Emits and records an op, or returns the value an identical earlier op computed (every op here
   * is a pure function of its inputs): a layer's aggregates that share a statistic, and gradient
   * rules that rebuild a forward value, cost one pass over memory instead of two.
   */
  private record(opType: string, inputs: string[], shape: Shape, attributes: Record<string, AttributeValue> = {}, domain?: string): string {
    const key = JSON.stringify([opType, inputs, attributes, domain ?? '']);
    const known = this.computed.get(key);
    if (known) return known;
    const output = this.builder.node(opType, inputs, attributes, domain ? { domain } : {});
    this.shapes.set(output, [...shape]);
    const op: RecordedOp = { opType, inputs, output, attributes, scope: this.builder.scope, ...(domain ? { domain } : {}) };
    this.ops.push(op);
    this.producers.set(output, op);
    this.computed.set(key, output);
    return output;
  }

  /**
   * Records a composite op: `output` was emitted by the caller as several nodes that the autodiff
   * treats as one, with a rule of its own (fewer passes over memory than the nodes' rules).
   */
  private recordComposite(opType: string, inputs: string[], output: string, shape: Shape, attributes: Record<string, AttributeValue>): string {
    this.shapes.set(output, [...shape]);
    this.ops.push({ opType, inputs, output, attributes, scope: this.builder.scope });
    return output;
  }

  input(name: string, shape: Shape, dtype: DType = this.dtype): string {
    this.builder.input(name, dtype, shape);
    this.shapes.set(name, [...shape]);
    return name;
  }

  output(value: string, name: string): string {
    const out = this.builder.node('Identity', [value], {}, { output: name });
    this.shapes.set(out, this.shape(value));
    this.builder.output(out, this.dtype, this.shape(value));
    return out;
  }

  initializer(stem: string, values: ArrayLike<number>, shape: Shape): string {
    const name = this.builder.initializer(stem, values, shape, this.dtype);
    this.shapes.set(name, [...shape]);
    return name;
  }

  /** A constant filled with one value, shared per (value, shape). */
  constant(value: number, shape: Shape = [1, 1, 1, 1]): string {
    const key = `${value}@${shape.join('x')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.initializer('const', new Array(size(shape)).fill(value), shape);
      this.constants.set(key, name);
    }
    return name;
  }

  /** An int64 vector initializer (axes, shapes), shared per values so that equal ops are recognized. */
  private int64s(stem: string, values: readonly number[]): string {
    const key = `${stem}:${values.join(',')}`;
    let name = this.int64Constants.get(key);
    if (!name) {
      name = this.builder.initializer(stem, values, [values.length], 'int64');
      this.int64Constants.set(key, name);
    }
    return name;
  }

  /** The op that computed `value` when it is of type `opType`. */
  private producedBy(value: string, opType: string): RecordedOp | undefined {
    const op = this.producers.get(value);
    return op?.opType === opType ? op : undefined;
  }

  /** Whether `small` has fewer elements than `large` (a per-channel or per-example value against a map). */
  private smaller(small: Shape, large: Shape): boolean {
    return size(small) < size(large);
  }

  // Element-wise, with broadcasting between equal-rank operands. add and mul rewrite a few forms
  // that are exact in real arithmetic into fewer passes over a large operand (float32 results move
  // by rounding only): a + (−b) → a − b (the layer IR has no subtraction, and a centred value
  // then meets the one its own variance computed); (a ∘ p) ∘ q → a ∘ (p ∘ q) and (a / s) · p →
  // a · (p / s) when p, q and s are smaller than a (per-channel statistics and parameters).
  add(a: string, b: string): string {
    const negB = this.producedBy(b, 'Neg');
    if (negB) return this.sub(a, negB.inputs[0]!);
    const negA = this.producedBy(a, 'Neg');
    if (negA) return this.sub(b, negA.inputs[0]!);
    const inner = this.smallOperandOf(a, b, 'Add');
    if (inner) return this.record('Add', [inner.large, this.add(inner.small, b)], broadcastShapes(this.shape(a), this.shape(b)));
    return this.record('Add', [a, b], broadcastShapes(this.shape(a), this.shape(b)));
  }
  sub(a: string, b: string): string {
    return this.record('Sub', [a, b], broadcastShapes(this.shape(a), this.shape(b)));
  }
  mul(a: string, b: string): string {
    const shape = broadcastShapes(this.shape(a), this.shape(b));
    if (this.smaller(this.shape(a), this.shape(b))) [a, b] = [b, a];
    const inner = this.smallOperandOf(a, b, 'Mul');
    if (inner) return this.record('Mul', [inner.large, this.mul(inner.small, b)], shape);
    const quotient = this.producedBy(a, 'Div');
    if (quotient && this.smaller(broadcastShapes(this.shape(quotient.inputs[1]!), this.shape(b)), this.shape(quotient.inputs[0]!))) {
      return this.record('Mul', [quotient.inputs[0]!, this.div(b, quotient.inputs[1]!)], shape);
    }
    return this.record('Mul', [a, b], shape);
  }

  /**
   * When `a` = large ∘ small (op `opType`) and `b` and `small` together are smaller than `large`:
   * the two operands, so that a ∘ b can be emitted as large ∘ (small ∘ b).
   */
  private smallOperandOf(a: string, b: string, opType: 'Add' | 'Mul'): { large: string; small: string } | undefined {
    const op = this.producedBy(a, opType);
    if (!op) return undefined;
    for (const [large, small] of [op.inputs, [...op.inputs].reverse()] as [string, string][]) {
      if (this.smaller(broadcastShapes(this.shape(small), this.shape(b)), this.shape(large))) return { large, small };
    }
    return undefined;
  }
  div(a: string, b: string): string {
    return this.record('Div', [a, b], broadcastShapes(this.shape(a), this.shape(b)));
  }
  max(a: string, b: string): string {
    return this.record('Max', [a, b], broadcastShapes(this.shape(a), this.shape(b)));
  }
  unary(opType: 'Neg' | 'Sigmoid' | 'Tanh' | 'Exp' | 'Abs' | 'Sign' | 'Log' | 'Sqrt' | 'Relu' | 'Reciprocal' | 'Identity', a: string): string {
    return this.record(opType, [a], this.shape(a));
  }
  /** `ifLess` where a < b, else `otherwise` (one Less and one Where; used by gradient rules). */
  whereLess(a: string, b: string, ifLess: string, otherwise: string): string {
    const shape = [this.shape(a), this.shape(b), this.shape(ifLess), this.shape(otherwise)].reduce((x, y) => broadcastShapes(x, y));
    const less = this.builder.node('Less', [a, b]);
    return this.record('Where', [less, ifLess, otherwise], shape);
  }

  /**
   * mean(a²) over `axes` (kept), as Mul(a, a) and a ReduceMean, with a gradient rule of its own:
   * ∂/∂a = a · (2/n)·d, one pass over memory (the rules of the ops it stands for take four). Not
   * ReduceSumSquare: ONNX Runtime's CPU kernel for it takes about twice as long as the full-size
   * Mul and the ReduceMean together (libs/onnx layer.ts has the figures).
   */
  meanSquare(a: string, axes: readonly number[]): string {
    const shape = this.shape(a).map((d, i) => (axes.includes(i) ? 1 : d));
    const n = this.shape(a).reduce((acc, d, i) => acc * (axes.includes(i) ? d : 1), 1);
    const key = JSON.stringify(['MeanSquare', a, axes]);
    const known = this.computed.get(key);
    if (known) return known;
    const output = this.builder.node('ReduceMean', [this.builder.node('Mul', [a, a])], { axes: [...axes], keepdims: 1 });
    this.computed.set(key, output);
    return this.recordComposite('MeanSquare', [a], output, shape, { count: n });
  }

  /** Reductions keep dims (keepdims = 1). Opset 17: ReduceSum takes its axes as an input, the others as an attribute. */
  reduce(opType: 'ReduceMean' | 'ReduceSum' | 'ReduceSumSquare', a: string, axes: readonly number[]): string {
    const shape = this.shape(a).map((d, i) => (axes.includes(i) ? 1 : d));
    if (opType === 'ReduceSum') return this.record(opType, [a, this.int64s('axes', axes)], shape, { keepdims: 1 });
    return this.record(opType, [a], shape, { axes: [...axes], keepdims: 1 });
  }

  reshape(a: string, shape: Shape): string {
    if (size(shape) !== size(this.shape(a))) throw new Error(`reshape [${this.shape(a)}] to [${shape}]`);
    return this.record('Reshape', [a, this.int64s('shape', shape)], shape);
  }

  transpose(a: string, perm: readonly number[]): string {
    const s = this.shape(a);
    return this.record(
      'Transpose',
      [a],
      perm.map((p) => s[p]!),
      { perm: [...perm] },
    );
  }

  expand(a: string, shape: Shape): string {
    return this.record('Expand', [a, this.int64s('expand', shape)], broadcastShapes(this.shape(a), shape));
  }

  /** Rows [start, end) along `axis`. */
  slice(a: string, axis: number, start: number, end: number): string {
    const shape = this.shape(a).map((d, i) => (i === axis ? end - start : d));
    return this.record('Slice', [a, this.int64s('starts', [start]), this.int64s('ends', [end]), this.int64s('axes', [axis])], shape);
  }

  /** The kernel reversed along both spatial axes (a Slice with step −1). */
  flip2d(a: string): string {
    const [, , kh, kw] = this.shape(a) as [number, number, number, number];
    return this.record('Slice', [a, this.int64s('starts', [kh - 1, kw - 1]), this.int64s('ends', [-kh - 1, -kw - 1]), this.int64s('axes', [2, 3]), this.int64s('steps', [-1, -1])], this.shape(a));
  }

  /** A [M, K] times B [N, K] transposed: one Gemm (transB = 1), no bias. */
  matmulTransposed(a: string, b: string): string {
    return this.record('Gemm', [a, b], [this.shape(a)[0]!, this.shape(b)[0]!], { transB: 1 });
  }

  /** MatMul over the last two axes, batched over the leading ones (equal, no broadcasting). */
  batchedMatmul(a: string, b: string): string {
    const sa = this.shape(a);
    const sb = this.shape(b);
    return this.record('MatMul', [a, b], [...sa.slice(0, -1), sb[sb.length - 1]!]);
  }

  conv(x: string, w: string, bias: string | undefined, attrs: ConvAttributes): string {
    const [n, , h, wd] = this.shape(x);
    const [out, , kh, kw] = this.shape(w);
    const oh = Math.floor((h! + attrs.pads[0] + attrs.pads[2] - kh!) / attrs.strides[0]) + 1;
    const ow = Math.floor((wd! + attrs.pads[1] + attrs.pads[3] - kw!) / attrs.strides[1]) + 1;
    const inputs = bias ? [x, w, bias] : [x, w];
    return this.record('Conv', inputs, [n!, out!, oh, ow], {
      kernel_shape: [kh!, kw!],
      strides: [...attrs.strides],
      pads: [...attrs.pads],
      group: attrs.group,
    });
  }

  /** ConvTranspose with an explicit output size (the gradient of a strided Conv w.r.t. its input). */
  convTranspose(g: string, w: string, attrs: ConvAttributes, outputHW: readonly [number, number]): string {
    const [n, , gh, gw] = this.shape(g);
    const [cin, coutPerGroup, kh, kw] = this.shape(w);
    const padding = [outputHW[0] - ((gh! - 1) * attrs.strides[0] - attrs.pads[0] - attrs.pads[2] + kh!), outputHW[1] - ((gw! - 1) * attrs.strides[1] - attrs.pads[1] - attrs.pads[3] + kw!)];
    void cin;
    return this.record('ConvTranspose', [g, w], [n!, coutPerGroup! * attrs.group, outputHW[0], outputHW[1]], {
      kernel_shape: [kh!, kw!],
      strides: [...attrs.strides],
      pads: [...attrs.pads],
      group: attrs.group,
      output_padding: padding,
    });
  }

  /** x [N, in] times Wᵀ (W is [out, in]) plus b [out]. */
  gemm(x: string, w: string, b: string): string {
    return this.record('Gemm', [x, w, b], [this.shape(x)[0]!, this.shape(w)[0]!], { transB: 1 });
  }

  matmul(a: string, b: string): string {
    const sa = this.shape(a);
    const sb = this.shape(b);
    return this.record('MatMul', [a, b], [sa[0]!, sb[1]!]);
  }

  globalAvgPool(x: string): string {
    const [n, c] = this.shape(x);
    return this.record('GlobalAveragePool', [x], [n!, c!, 1, 1]);
  }

  logSoftmax(x: string): string {
    return this.record('LogSoftmax', [x], this.shape(x), { axis: 1 });
  }

  /** Serialized model (unused nodes pruned). */
  model(): Uint8Array {
    return this.builder.model();
  }
}
