/**
 * Export of a layer graph to ONNX in inference form: batch aggregates read their moving averages
 * from initializers, everything else is computed from x. Values keep the shape their computation
 * gives (an instance statistic stays [N,C,1,1]) and broadcasting does the rest, which is both
 * what the IR means and fewer bytes moved.
 *
 * `optimize` rewrites for fewer passes over memory (DESIGN.md, export optimizer):
 *  - the canonical form first (dead nodes dropped, common subexpressions merged);
 *  - inference statistics sqrt(moving + eps) folded into constants;
 *  - variance in one pass, E[v²] − E[v]², clamped at 0 and accumulated in fp32 for fp16 exports;
 *  - division by a reduced statistic as multiplication by its (small) reciprocal;
 *  - γ folded into that per-(n,c) scale when the output is such a product, so the full-size
 *    tensor is touched by one Mul and one Add;
 *  - for a division by a full-size d built of max, add and products by small factors (B0's
 *    max(s, v1·x + σ)), 1/γ pushed into d's small operands when γ > 0, so the Mul by γ goes;
 *  - means of squares as ReduceMean(v·v), not ReduceSumSquare, which ORT's CPU runs slower;
 *  - a full-size affine v·s + t with small s and t (the output's v·(γ/σ) + β, B0's v1·x + σ) as
 *    one BatchNormalization with mean 0, variance 1 and ε 0, one pass instead of a Mul and an Add;
 *  - x·σ(v·x) as ORT's fused com.microsoft QuickGelu when v is the same in every channel;
 *  - a layer whose canonical form is BN-ReLU as stock BatchNormalization + Relu, with γ folded
 *    into the BN scale when γ ≥ 0 (max(z, 0)·γ = max(z·γ, 0)).
 */
import { DEFAULT_GROUPS, EPSILON, NUM_INITIAL, canonicalize, groupCount, initialParams, initialState, zooLayer, type LayerGraph, type LayerParams, type LayerState } from '@evonorm/graph';
import { GraphBuilder, type DType } from './builder.js';

export interface LayerExportOptions {
  /** Channels C (parameters are per channel). */
  readonly channels: number;
  /** Element type of x, y and the weights; statistics of fp16 exports accumulate in fp32. */
  readonly dtype?: 'float32' | 'float64' | 'float16';
  readonly params?: LayerParams;
  /** Moving averages by node id of `graph` (as the float64 interpreter keeps them). */
  readonly state?: LayerState;
  readonly optimize?: boolean;
  readonly groups?: number;
  readonly epsilon?: number;
  /**
   * Export the layer as one call of a model-local ONNX function (domain "evonorm"), so that a
   * network viewer shows one node per layer; ORT inlines it when it loads the model.
   */
  readonly asFunction?: boolean;
}

/** Domain of the model-local functions evonorm writes. */
export const FUNCTION_DOMAIN = 'evonorm';

/** Which of the dims (n, c, h, w) have full size; false means size 1 (broadcast). */
type Extent = readonly [boolean, boolean, boolean, boolean];

interface Value {
  readonly name: string;
  readonly extent: Extent;
}

const FULL: Extent = [true, true, true, true];
const SCALAR: Extent = [false, false, false, false];
const CHANNEL: Extent = [false, true, false, false];

const union = (a: Extent, b: Extent): Extent => [a[0] || b[0], a[1] || b[1], a[2] || b[2], a[3] || b[3]];
const isFull = (e: Extent): boolean => e.every(Boolean);
const isReduced = (e: Extent): boolean => !e[2] && !e[3];

const UNARY_ONNX = { neg: 'Neg', sigmoid: 'Sigmoid', tanh: 'Tanh', exp: 'Exp', abs: 'Abs' } as const;

/** Emits one layer into `b`, reading `x` ([N,C,H,W]); returns the name of its output y. */
export function emitLayer(b: GraphBuilder, graph: LayerGraph, x: string, options: LayerExportOptions, prefix = ''): string {
  const C = options.channels;
  const dtype: DType = options.dtype ?? 'float32';
  // Statistics of fp16 layers are computed in fp32.
  const statType: DType = dtype === 'float16' ? 'float32' : dtype;
  const eps = options.epsilon ?? EPSILON;
  const G = groupCount(C, options.groups ?? DEFAULT_GROUPS);
  const params = options.params ?? initialParams(C);
  const optimize = options.optimize ?? false;
  let state = options.state ?? initialState(graph, C);
  if (optimize) {
    const c = canonicalize(graph);
    const moved = new Map<number, Float64Array>();
    for (const [id, values] of state) if (c.idMap[id]! >= 0) moved.set(c.idMap[id]!, values);
    graph = c.graph;
    state = moved;
  }
  const name = (stem: string): string => `${prefix}${stem}`;
  if (optimize && canonicalize(graph).hash === bnReluHash()) {
    return emitStockBnRelu(b, graph, x, { C, dtype, eps, params, state, name });
  }
  const channelInit = (stem: string, values: Float64Array, type: DType = dtype): string => b.weight(name(stem), values, [1, C, 1, 1], type);
  const scalar = (stem: string, value: number, type: DType): string => b.initializer(name(stem), [value], [], type);
  const cast = (v: string, to: DType): string => (to === 'float32' ? b.node('Cast', [v], { to: 1 }) : to === 'float16' ? b.node('Cast', [v], { to: 10 }) : v);
  const epsStat = scalar('eps', eps, statType);

  const values: Value[] = [
    { name: x, extent: FULL },
    // Rank 4 like every value here, so aggregates can reduce it.
    { name: b.initializer(name('zero'), [0], [1, 1, 1, 1], dtype), extent: SCALAR },
    { name: channelInit('v0', params.v0), extent: CHANNEL },
    { name: channelInit('v1', params.v1), extent: CHANNEL },
  ];

  /** Mean, mean square or variance of v over `axes`, keepdims, in statType. */
  const moments = (v: string, axes: number[], kind: 'mean' | 'meansq' | 'var'): string => {
    const mean = (t: string): string => b.node('ReduceMean', [t], { axes, keepdims: 1 });
    // Mean of v·v, not ReduceSumSquare: ONNX Runtime's CPU ReduceSumSquare takes about twice as
    // long as a full-size Mul and a ReduceMean together (0.46 against 0.24 ms at [8,64,32,32]).
    const meanSquare = (): string => mean(b.node('Mul', [v, v]));
    if (kind === 'mean') return mean(v);
    if (kind === 'meansq') return meanSquare();
    const m = mean(v);
    if (optimize) {
      // One pass over v for each statistic, no centered copy: E[v²] − E[v]², clamped at 0.
      return b.node('Max', [b.node('Sub', [meanSquare(), b.node('Mul', [m, m])]), scalar('zero_stat', 0, statType)]);
    }
    const d = b.node('Sub', [v, m]);
    return mean(b.node('Mul', [d, d]));
  };

  const finish = (op: 'mean' | 'rms' | 'std', stat: string): string => (op === 'mean' ? stat : b.node('Sqrt', [b.node('Add', [stat, epsStat])]));

  const aggregate = (op: 'mean' | 'rms' | 'std', axes: string, input: Value, id: number): Value => {
    const kind = op === 'mean' ? 'mean' : op === 'rms' ? 'meansq' : 'var';
    if (axes === 'bwh') {
      const moving = state.get(id);
      if (!moving) throw new Error(`no moving average for batch aggregate node ${id}`);
      if (optimize) {
        const folded = op === 'mean' ? moving : moving.map((m) => Math.sqrt(m + eps));
        return { name: channelInit(`stat${id}`, folded), extent: CHANNEL };
      }
      return { name: cast(finish(op, channelInit(`moving${id}`, moving, statType)), dtype), extent: CHANNEL };
    }
    const v = cast(input.name, statType);
    if (axes === 'whcg' && input.extent[1]) {
      const grouped = b.node('Reshape', [v, b.initializer(name('group_shape'), [0, G, -1], [3], 'int64')]);
      const stat = finish(op, moments(grouped, [2], kind));
      const spread = b.node('Expand', [stat, b.initializer(name('group_expand'), [1, 1, C / G], [3], 'int64')]);
      const back = b.node('Reshape', [spread, b.initializer(name('channel_shape'), [0, C, 1, 1], [4], 'int64')]);
      return { name: cast(back, dtype), extent: [input.extent[0], true, false, false] };
    }
    // Constant over channels, a group statistic is an instance one; the layer set reduces c too.
    const reduceAxes = axes === 'whc' ? [1, 2, 3] : [2, 3];
    const stat = finish(op, moments(v, reduceAxes, kind));
    return { name: cast(stat, dtype), extent: [input.extent[0], axes === 'whc' ? false : input.extent[1], false, false] };
  };

  const uniform = (a: Float64Array): boolean => a.every((v) => v === a[0]);

  /**
   * big·scale + shift with small scale and shift (no h, w extent): one BatchNormalization pass
   * (mean 0, variance 1, ε 0, which ONNX defines as exactly big·scale + shift) instead of a full-size
   * Mul and a full-size Add. Per-sample factors become channels of a [1, N·C, H, W] view of big.
   * Not in float16: ORT's CPU BatchNormalization has no half kernel. (ORT's CUDA kernel raises ε to
   * cuDNN's minimum, 1e-5 in older cuDNN: there y is then off by 5e-6 relative, far below float32 tolerances.)
   */
  const affine = (big: string, scale: Value, shift: Value): string | undefined => {
    if (!optimize || dtype === 'float16') return undefined;
    const perSample = scale.extent[0] || shift.extent[0];
    const flat = b.initializer(name('affine_flat'), [-1], [1], 'int64');
    // Both factors at their common [N or 1, C, 1, 1] shape, flattened to BN's per-channel vectors.
    const template = b.node('Add', [b.node('Add', [scale.name, shift.name]), b.initializer(name('affine_c'), new Array<number>(C).fill(0), [1, C, 1, 1], dtype)]);
    const common = b.node('Shape', [template]);
    const at = (v: Value): string => b.node('Reshape', [b.node('Expand', [v.name, common]), flat]);
    const [scaleVector, shiftVector] = [at(scale), at(shift)];
    const size = b.node('Shape', [scaleVector]);
    const constant = (stem: string, value: number): string => b.node('Expand', [scalar(stem, value, dtype), size]);
    const input = perSample ? b.node('Reshape', [big, b.initializer(name('affine_view'), [1, -1, 0, 0], [4], 'int64')]) : big;
    const y = b.node('BatchNormalization', [input, scaleVector, shiftVector, constant('affine_mean', 0), constant('affine_var', 1)], { epsilon: { float: 0 } });
    return perSample ? b.node('Reshape', [y, b.node('Shape', [big])]) : y;
  };

  graph.nodes.forEach((node, index) => {
    const id = index + NUM_INITIAL;
    const a = values[node.inputs[0]!]!;
    const c = node.inputs.length > 1 ? values[node.inputs[1]!]! : undefined;
    let out: Value;
    switch (node.op) {
      case 'add': {
        // big·f + s with small f and s: one pass (B0's v1·x + σ where γ may be negative).
        const parts = affineSum(id, graph, values);
        const fused = parts && affine(parts.big.name, parts.factor, parts.shift);
        out = fused !== undefined ? { name: fused, extent: FULL } : { name: b.node('Add', [a.name, c!.name]), extent: union(a.extent, c!.extent) };
        break;
      }
      case 'max':
        out = { name: b.node('Max', [a.name, c!.name]), extent: union(a.extent, c!.extent) };
        break;
      case 'mul': {
        // x·σ(v1·x) with one v1 for all channels: ORT's fused QuickGelu (x·σ(αx)); no double kernel.
        const quick = optimize && dtype !== 'float64' ? quickGeluAlpha(graph, index, params.v1, uniform) : undefined;
        out =
          quick !== undefined
            ? { name: b.node('QuickGelu', [x], { alpha: { float: quick } }, { domain: 'com.microsoft' }), extent: FULL }
            : { name: b.node('Mul', [a.name, c!.name]), extent: union(a.extent, c!.extent) };
        break;
      }
      case 'div':
        out =
          optimize && isFull(a.extent) && !isFull(c!.extent)
            ? { name: b.node('Mul', [a.name, b.node('Reciprocal', [c!.name])]), extent: FULL }
            : { name: b.node('Div', [a.name, c!.name]), extent: union(a.extent, c!.extent) };
        break;
      case 'neg':
      case 'sigmoid':
      case 'tanh':
      case 'exp':
      case 'abs':
        out = { name: b.node(UNARY_ONNX[node.op], [a.name]), extent: a.extent };
        break;
      case 'square':
        out = { name: b.node('Mul', [a.name, a.name]), extent: a.extent };
        break;
      case 'log':
        out = { name: b.node('Mul', [b.node('Sign', [a.name]), b.node('Log', [b.node('Abs', [a.name])])]), extent: a.extent };
        break;
      case 'sqrt':
        out = { name: b.node('Mul', [b.node('Sign', [a.name]), b.node('Sqrt', [b.node('Abs', [a.name])])]), extent: a.extent };
        break;
      case 'mean':
      case 'rms':
      case 'std':
        out = aggregate(node.op, node.axes!, a, id);
        break;
    }
    values[id] = out;
  });

  const gamma = channelInit('gamma', params.gamma);
  const beta = channelInit('beta', params.beta);
  const output = values[values.length - 1]!;
  const last = graph.nodes[graph.nodes.length - 1]!;
  if (optimize && isFull(output.extent) && (last.op === 'div' || last.op === 'mul')) {
    // y = a·s·γ + β with s reduced: fold γ into the small scale s. For a division only the
    // denominator may be the small factor (a / s = a·(1/s)).
    const [p, q] = last.inputs.map((i) => values[i]!) as [Value, Value];
    const isScale = (v: Value): boolean => isReduced(v.extent) && !isFull(v.extent);
    const small = isScale(q) ? q : last.op === 'mul' && isScale(p) ? p : undefined;
    const big = small === q ? p : q;
    if (small && isFull(big.extent)) {
      const scale = b.node('Mul', [last.op === 'div' ? b.node('Reciprocal', [small.name]) : small.name, gamma]);
      return affine(big.name, { name: scale, extent: small.extent }, { name: beta, extent: CHANNEL }) ?? b.node('Add', [b.node('Mul', [big.name, scale]), beta]);
    }
  }
  if (optimize && last.op === 'div' && isFull(output.extent) && params.gamma.every((g) => g > 0)) {
    // y = a / d · γ + β with a full-size d: a / (d/γ) + β, with 1/γ pushed into d's own small
    // operands where d is built of max, add and products by small factors (B0's denominator), so
    // that no full-size pass is added for it and the Mul by γ goes (γ > 0 keeps max a max).
    const numerator = values[last.inputs[0]!]!;
    const scaled = isFull(numerator.extent) ? dividedByGamma(b, last.inputs[1]!, graph, values, gamma, affine) : undefined;
    if (scaled !== undefined) return b.node('Add', [b.node('Div', [numerator.name, scaled]), beta]);
  }
  const full = isFull(output.extent) ? output.name : b.node('Expand', [output.name, b.node('Shape', [x])]);
  return b.node('Add', [b.node('Mul', [full, gamma]), beta]);
}

/** How many times node inputs read value `id`. */
function usesOf(graph: LayerGraph, id: number): number {
  return graph.nodes.reduce((n, other) => n + other.inputs.filter((i) => i === id).length, 0);
}

/** If value `id` is a product of a full-size value and a small one (no h, w extent) read only once: the two. */
function scaledProduct(id: number, graph: LayerGraph, values: readonly Value[]): { big: Value; factor: Value } | undefined {
  if (id < NUM_INITIAL || usesOf(graph, id) !== 1) return undefined;
  const own = graph.nodes[id - NUM_INITIAL]!;
  if (own.op !== 'mul') return undefined;
  const [p, q] = own.inputs.map((i) => values[i]!) as [Value, Value];
  const [big, factor] = isReduced(q.extent) ? [p, q] : [q, p];
  return isReduced(factor.extent) && isFull(big.extent) ? { big, factor } : undefined;
}

/** If value `id` is big·f + s (in either order) with small f and s and the product read only once: its parts. */
function affineSum(id: number, graph: LayerGraph, values: readonly Value[]): { big: Value; factor: Value; shift: Value } | undefined {
  if (id < NUM_INITIAL) return undefined;
  const own = graph.nodes[id - NUM_INITIAL]!;
  if (own.op !== 'add') return undefined;
  const [p, q] = own.inputs as [number, number];
  for (const [product, other] of [
    [p, q],
    [q, p],
  ] as const) {
    const parts = isReduced(values[other]!.extent) ? scaledProduct(product, graph, values) : undefined;
    if (parts) return { ...parts, shift: values[other]! };
  }
  return undefined;
}

/** Emits big·scale + shift for small scale and shift as one pass, or undefined where it cannot. */
type Affine = (big: string, scale: Value, shift: Value) => string | undefined;

/**
 * The name of value `id` divided by γ (> 0, per channel), built without a full-size pass of its own,
 * or undefined where that is not possible: a small value is divided directly; max(p, q) and p + q
 * recurse into both operands (max(p, q)/γ = max(p/γ, q/γ) for γ > 0); a product of a full-size value
 * and a small factor divides the factor. Nodes used more than once are not rewritten (the original
 * would still be needed).
 */
function dividedByGamma(b: GraphBuilder, id: number, graph: LayerGraph, values: readonly Value[], gamma: string, affine: Affine): string | undefined {
  const value = values[id]!;
  if (isReduced(value.extent)) return b.node('Div', [value.name, gamma]);
  if (id < NUM_INITIAL || usesOf(graph, id) !== 1) return undefined;
  const own = graph.nodes[id - NUM_INITIAL]!;
  const [p, q] = own.inputs as [number, number];
  // (big·f + s)/γ = big·(f/γ) + s/γ in one pass (B0's v1·x + σ).
  const sum = affineSum(id, graph, values);
  const fused = sum && affine(sum.big.name, { name: b.node('Div', [sum.factor.name, gamma]), extent: sum.factor.extent }, { name: b.node('Div', [sum.shift.name, gamma]), extent: sum.shift.extent });
  if (fused !== undefined) return fused;
  if (own.op === 'max' || own.op === 'add') {
    const a = dividedByGamma(b, p, graph, values, gamma, affine);
    const c = a === undefined ? undefined : dividedByGamma(b, q, graph, values, gamma, affine);
    return a === undefined || c === undefined ? undefined : b.node(own.op === 'max' ? 'Max' : 'Add', [a, c]);
  }
  const parts = own.op === 'mul' ? scaledProduct(id, graph, values) : undefined;
  return parts && b.node('Mul', [parts.big.name, b.node('Div', [parts.factor.name, gamma])]);
}

let cachedBnReluHash: string | undefined;
function bnReluHash(): string {
  cachedBnReluHash ??= canonicalize(zooLayer('bn-relu').graph).hash;
  return cachedBnReluHash;
}

/** BN-ReLU (canonical form) as BatchNormalization(scale v1, bias v0, moving stats) + Relu + affine. */
function emitStockBnRelu(b: GraphBuilder, graph: LayerGraph, x: string, o: { C: number; dtype: DType; eps: number; params: LayerParams; state: LayerState; name: (s: string) => string }): string {
  const find = (op: 'mean' | 'std'): Float64Array => {
    const index = graph.nodes.findIndex((n) => n.op === op && n.axes === 'bwh');
    const moving = o.state.get(index + NUM_INITIAL);
    if (!moving) throw new Error(`no moving average for the BN-ReLU ${op}`);
    return moving;
  };
  const { v0, v1, gamma, beta } = o.params;
  const foldGamma = gamma.every((g) => g >= 0);
  const vec = (stem: string, values: Float64Array): string => b.weight(o.name(stem), values, [o.C], o.dtype);
  const scale = foldGamma ? v1.map((v, c) => v * gamma[c]!) : v1;
  const bias = foldGamma ? v0.map((v, c) => v * gamma[c]!) : v0;
  const bn = b.node('BatchNormalization', [x, vec('bn_scale', scale), vec('bn_bias', bias), vec('bn_mean', find('mean')), vec('bn_var', find('std'))], {
    epsilon: { float: o.eps },
  });
  let y = b.node('Relu', [bn]);
  const channel = (stem: string, values: Float64Array): string => b.weight(o.name(stem), values, [1, o.C, 1, 1], o.dtype);
  if (!foldGamma) y = b.node('Mul', [y, channel('gamma', gamma)]);
  return beta.every((v) => v === 0) ? y : b.node('Add', [y, channel('beta', beta)]);
}

/**
 * If node `index` is x·σ(v1·x) (in either operand order) and v1 is uniform, the QuickGelu alpha.
 */
function quickGeluAlpha(graph: LayerGraph, index: number, v1: Float64Array, uniform: (a: Float64Array) => boolean): number | undefined {
  const node = graph.nodes[index]!;
  if (node.op !== 'mul' || !uniform(v1)) return undefined;
  const [p, q] = node.inputs;
  const sig = p === 0 ? q! : q === 0 ? p! : -1;
  if (sig < NUM_INITIAL) return undefined;
  const s = graph.nodes[sig - NUM_INITIAL]!;
  if (s.op !== 'sigmoid' || s.inputs[0]! < NUM_INITIAL) return undefined;
  const m = graph.nodes[s.inputs[0]! - NUM_INITIAL]!;
  const isVx = m.op === 'mul' && ((m.inputs[0] === 3 && m.inputs[1] === 0) || (m.inputs[0] === 0 && m.inputs[1] === 3));
  return isVx ? v1[0]! : undefined;
}

/**
 * The layer for `options.channels` channels as a model-local function: inputs x and then its
 * weights (v0, v1, moving averages, γ, β, as emitLayer makes them), output y. Returns the function
 * and the weights, which a call passes after x.
 */
export function layerFunction(graph: LayerGraph, options: LayerExportOptions, name: string): ReturnType<GraphBuilder['asFunction']> {
  const fb = new GraphBuilder(name);
  const dtype = options.dtype ?? 'float32';
  const dims = ['N', options.channels, 'H', 'W'];
  const y = emitLayer(fb, graph, fb.input('x', dtype, dims), { ...options, asFunction: false });
  fb.output(fb.node('Identity', [y], {}, { output: 'y' }), dtype, dims);
  return fb.asFunction(name, FUNCTION_DOMAIN);
}

/**
 * Emits the layer into `b` as a call of a model-local function, adding the function to `b` under
 * a name that `names` keeps distinct per function body; returns y.
 */
export function emitLayerCall(b: GraphBuilder, graph: LayerGraph, x: string, options: LayerExportOptions, prefix: string, names: Map<string, string>): string {
  const draft = layerFunction(graph, options, 'EvoLayer');
  const key = JSON.stringify([draft.proto.input, draft.proto.node]);
  let name = names.get(key);
  if (!name) {
    // One function per distinct body: slots whose channel count changes no constant share one.
    name = names.size === 0 ? 'EvoLayer' : `EvoLayer_${names.size + 1}`;
    names.set(key, name);
  }
  b.addFunction({ ...draft.proto, name });
  const weights = draft.weights.map((w) => b.initializerLike(`${prefix}${w.name!}`, w));
  return b.node(name, [x, ...weights], {}, { domain: FUNCTION_DOMAIN });
}

/** A model with input `x` [N, C, H, W] and output `y` of the same shape. */
export function exportLayer(graph: LayerGraph, options: LayerExportOptions): Uint8Array {
  const b = new GraphBuilder('evonorm_layer');
  const dtype = options.dtype ?? 'float32';
  const dims = ['N', options.channels, 'H', 'W'];
  const x = b.input('x', dtype, dims);
  const y = options.asFunction ? emitLayerCall(b, graph, x, options, '', new Map()) : emitLayer(b, graph, x, options);
  const out = b.node('Identity', [y], {}, { output: 'y' });
  b.output(out, dtype, dims);
  return b.model({ docString: options.optimize ? 'evonorm layer (optimized export)' : 'evonorm layer' });
}
