/**
 * A small builder for ONNX graphs on top of onnx-proto: unique value names, typed initializers
 * stored as raw little-endian bytes, attributes from plain values, and model serialization.
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;

/** Element types used here (onnx.TensorProto.DataType). */
export type DType = 'float32' | 'float16' | 'float64' | 'int64';

export const ONNX_TYPE: Readonly<Record<DType, number>> = { float32: 1, float16: 10, float64: 11, int64: 7 };

export type Dim = number | string;
export type AttributeValue = number | string | readonly number[] | { readonly float: number } | { readonly ints: readonly number[] };

export const DEFAULT_OPSET = 17;

/** float32 -> IEEE half bits, round to nearest even. */
export function toHalfBits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function encodeValues(values: ArrayLike<number>, dtype: DType): Uint8Array {
  switch (dtype) {
    case 'float32':
      return new Uint8Array(Float32Array.from(values).buffer);
    case 'float64':
      return new Uint8Array(Float64Array.from(values).buffer);
    case 'int64':
      return new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
    case 'float16': {
      const out = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]!);
      return new Uint8Array(out.buffer);
    }
  }
}

function valueInfo(name: string, dtype: DType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_TYPE[dtype],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  }
  if ('float' in value) return { name, type: T.FLOAT, f: value.float };
  const ints = 'ints' in value ? value.ints : (value as readonly number[]);
  return { name, type: T.INTS, ints: [...ints] };
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly domains = new Map<string, number>();
  /** Initializers that are a layer's weights (become inputs when the graph becomes a function). */
  private readonly weights = new Set<string>();
  private readonly functions: onnxProto.onnx.IFunctionProto[] = [];
  private counter = 0;
  /**
   * Prefix of the names of nodes added from now on ("scope/n_Op"), so that ONNX Runtime's
   * profiler can attribute time to the part of a graph a node belongs to; empty: no prefix.
   */
  scope = '';

  constructor(readonly name: string) {}

  /** A fresh value name with the given stem. */
  fresh(stem: string): string {
    let name = stem;
    while (this.used.has(name)) name = `${stem}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DType, dims: readonly Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, dtype, dims));
    return name;
  }

  output(name: string, dtype: DType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, dtype, dims));
  }

  initializer(stem: string, values: ArrayLike<number>, dims: readonly number[], dtype: DType): string {
    const name = this.fresh(stem);
    this.initializers.push({ name, dims: [...dims], dataType: ONNX_TYPE[dtype], rawData: encodeValues(values, dtype) });
    return name;
  }

  /** An initializer with the type and bytes of `tensor` (a function's weights, asFunction), named after `stem`. */
  initializerLike(stem: string, tensor: onnxProto.onnx.ITensorProto): string {
    const name = this.fresh(stem);
    this.initializers.push({ ...tensor, name });
    return name;
  }

  /** An initializer holding weights: the same as `initializer`, but an input of the graph as a function (asFunction). */
  weight(stem: string, values: ArrayLike<number>, dims: readonly number[], dtype: DType): string {
    const name = this.initializer(stem, values, dims, dtype);
    this.weights.add(name);
    return name;
  }

  /** Adds a model-local function (its domain is imported at version 1). */
  addFunction(fn: onnxProto.onnx.IFunctionProto): void {
    if (this.functions.some((f) => f.name === fn.name && f.domain === fn.domain)) return;
    this.functions.push(fn);
    this.domains.set(fn.domain!, 1);
  }

  /**
   * This graph as a model-local function `domain.name`: its graph inputs, then its weights in the
   * order they were made (returned with their values, for the caller to pass), as the function's
   * inputs; its graph outputs as outputs; other initializers as Constant nodes.
   */
  asFunction(name: string, domain: string): { proto: onnxProto.onnx.IFunctionProto; weights: onnxProto.onnx.ITensorProto[] } {
    const { nodes, initializers } = this.prune();
    const weights = initializers.filter((t) => this.weights.has(t.name!));
    const constants: onnxProto.onnx.INodeProto[] = initializers
      .filter((t) => !this.weights.has(t.name!))
      .map((t) => ({ opType: 'Constant', input: [], output: [t.name!], name: `const_${t.name!}`, domain: '', attribute: [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t }] }));
    const opsetImport = [{ domain: '', version: DEFAULT_OPSET }, ...[...this.domains].map(([d, version]) => ({ domain: d, version }))];
    return {
      proto: {
        name,
        domain,
        input: [...this.inputs.map((i) => i.name!), ...weights.map((w) => w.name!)],
        output: this.outputs.map((o) => o.name!),
        node: [...constants, ...nodes],
        opsetImport,
      },
      weights,
    };
  }

  /** Adds a node and returns its (first) output name. */
  node(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}, options: { output?: string; outputs?: number; domain?: string } = {}): string {
    const count = options.outputs ?? 1;
    // Output names carry the scope too: ORT names the nodes it rewrites (NCHWc convolutions) after their outputs.
    const stem = this.scope ? `${this.scope}/${opType.toLowerCase()}` : opType.toLowerCase();
    const outputs = Array.from({ length: count }, (_, k) => (k === 0 && options.output ? this.claim(options.output) : this.fresh(`${stem}${k ? `_${k}` : ''}`)));
    if (options.domain) this.domains.set(options.domain, 1);
    this.nodes.push({
      opType,
      input: [...inputs],
      output: outputs,
      name: this.fresh(this.scope ? `${this.scope}/n_${opType}` : `n_${opType}`),
      domain: options.domain ?? '',
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return outputs[0]!;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`value name ${name} is already used`);
    this.used.add(name);
    return name;
  }

  /** Drops nodes whose outputs nothing uses (e.g. ones a fused rewrite superseded), and unused initializers. */
  private prune(): { nodes: onnxProto.onnx.INodeProto[]; initializers: onnxProto.onnx.ITensorProto[] } {
    const needed = new Set(this.outputs.map((o) => o.name!));
    const kept: onnxProto.onnx.INodeProto[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i]!;
      if (node.output!.some((o) => needed.has(o))) {
        kept.push(node);
        for (const input of node.input!) needed.add(input);
      }
    }
    return { nodes: kept.reverse(), initializers: this.initializers.filter((t) => needed.has(t.name!)) };
  }

  /** Serialized ModelProto. */
  model(options: { opset?: number; producer?: string; docString?: string } = {}): Uint8Array {
    const { nodes, initializers } = this.prune();
    const opsetImport = [{ domain: '', version: options.opset ?? DEFAULT_OPSET }];
    for (const [domain, version] of this.domains) opsetImport.push({ domain, version });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: options.producer ?? 'evonorm',
      docString: options.docString ?? '',
      opsetImport,
      functions: this.functions,
      graph: {
        name: this.name,
        node: nodes,
        initializer: initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
