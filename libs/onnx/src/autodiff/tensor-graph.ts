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

  constructor(
    name: string,
    readonly dtype: DType = 'float32',
  ) {
    this.builder = new GraphBuilder(name);
  }

  shape(value: string): Shape {
    const s = this.shapes.get(value);
    if (!s) throw new Error(`unknown value ${value}`);
    return s;
  }

  private record(opType: string, inputs: string[], shape: Shape, attributes: Record<string, AttributeValue> = {}, domain?: string): string {
    const output = this.builder.node(opType, inputs, attributes, domain ? { domain } : {});
    this.shapes.set(output, [...shape]);
    this.ops.push({ opType, inputs, output, attributes, ...(domain ? { domain } : {}) });
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

  private int64s(stem: string, values: readonly number[]): string {
    return this.builder.initializer(stem, values, [values.length], 'int64');
  }

  // Element-wise, with broadcasting between equal-rank operands.
  add(a: string, b: string): string {
    return this.record('Add', [a, b], broadcastShapes(this.shape(a), this.shape(b)));
  }
  sub(a: string, b: string): string {
    return this.record('Sub', [a, b], broadcastShapes(this.shape(a), this.shape(b)));
  }
  mul(a: string, b: string): string {
    return this.record('Mul', [a, b], broadcastShapes(this.shape(a), this.shape(b)));
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
  /** 1 where a ≥ b (ties to a), else 0, in the graph's dtype. */
  greaterOrEqual(a: string, b: string): string {
    const shape = broadcastShapes(this.shape(a), this.shape(b));
    const ge = this.builder.node('Not', [this.builder.node('Less', [a, b])]);
    return this.record('Cast', [ge], shape, { to: this.dtype === 'float64' ? 11 : 1 });
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

  /** Conv with dilation, used to compute weight gradients. */
  dilatedConv(x: string, w: string, dilations: readonly [number, number], pads: readonly [number, number, number, number], group: number): string {
    const [n, , h, wd] = this.shape(x);
    const [out, , kh, kw] = this.shape(w);
    const oh = h! + pads[0] + pads[2] - dilations[0] * (kh! - 1);
    const ow = wd! + pads[1] + pads[3] - dilations[1] * (kw! - 1);
    return this.record('Conv', [x, w], [n!, out!, oh, ow], {
      kernel_shape: [kh!, kw!],
      dilations: [...dilations],
      pads: [...pads],
      group,
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
