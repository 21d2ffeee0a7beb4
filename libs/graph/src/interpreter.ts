/**
 * The float64 reference interpreter: the independent ground truth every engine (ONNX, TensorFlow.js)
 * is tested against. Training mode normalizes batch aggregates with batch statistics and returns
 * updated moving averages (decay 0.9); inference mode reads the moving averages.
 */
import { aggregateContiguous, batchStatistics, broadcastChannels, initialMovingAverage, updateMovingAverage } from './aggregate.js';
import {
  DEFAULT_GROUPS,
  EPSILON,
  MOVING_AVERAGE_DECAY,
  NUM_INITIAL,
  OP_SPECS,
  V0_ID,
  V1_ID,
  X_ID,
  ZERO_ID,
  isBatchAggregate,
  nodeId,
  type AggregateOp,
  type BinaryOp,
  type LayerGraph,
  type UnaryOp,
} from './ops.js';
import { assertShape, shapeSize, tensor, type Shape4, type Tensor } from './tensor.js';

export type Mode = 'train' | 'infer';

/** Trainable per-channel parameters: v0, v1 inside the graph; gamma, beta of the affine after it. */
export interface LayerParams {
  readonly v0: Float64Array;
  readonly v1: Float64Array;
  readonly gamma: Float64Array;
  readonly beta: Float64Array;
}

/** Moving averages of the batch aggregates, per channel, keyed by node id. */
export type LayerState = ReadonlyMap<number, Float64Array>;

export interface InterpreterOptions {
  readonly epsilon?: number;
  readonly decay?: number;
  readonly groups?: number;
}

export interface EvaluateOptions extends InterpreterOptions {
  readonly mode: Mode;
  readonly params?: LayerParams;
  readonly state?: LayerState;
}

export interface Evaluation {
  /** The layer's output: the graph's output node followed by the affine `out * gamma + beta`. */
  readonly output: Tensor;
  /** The graph's output node before the affine. */
  readonly raw: Tensor;
  /** Moving averages after this call (updated in training mode, unchanged in inference). */
  readonly state: LayerState;
}

/** Parameters at initialization: v0 = 0, v1 = 1, gamma = 1, beta = 0. */
export function initialParams(channels: number): LayerParams {
  return {
    v0: new Float64Array(channels),
    v1: new Float64Array(channels).fill(1),
    gamma: new Float64Array(channels).fill(1),
    beta: new Float64Array(channels),
  };
}

/** Moving averages at initialization for every batch aggregate of the graph. */
export function initialState(graph: LayerGraph, channels: number): LayerState {
  const state = new Map<number, Float64Array>();
  graph.nodes.forEach((node, index) => {
    if (isBatchAggregate(node)) state.set(nodeId(index), initialMovingAverage(node.op as AggregateOp, channels));
  });
  return state;
}

const UNARY: Record<UnaryOp, (a: number) => number> = {
  neg: (a) => -a,
  sigmoid: (a) => 1 / (1 + Math.exp(-a)),
  tanh: Math.tanh,
  exp: Math.exp,
  abs: Math.abs,
  square: (a) => a * a,
  log: (a) => Math.sign(a) * Math.log(Math.abs(a)),
  sqrt: (a) => Math.sign(a) * Math.sqrt(Math.abs(a)),
};

function binary(op: BinaryOp, a: Float64Array, b: Float64Array, out: Float64Array): void {
  const n = out.length;
  switch (op) {
    case 'add':
      for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
      return;
    case 'mul':
      for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
      return;
    case 'div':
      for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
      return;
    case 'max':
      for (let i = 0; i < n; i++) out[i] = Math.max(a[i]!, b[i]!);
      return;
  }
}

function unary(op: UnaryOp, a: Float64Array, out: Float64Array): void {
  const n = out.length;
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -a[i]!;
      return;
    case 'square':
      for (let i = 0; i < n; i++) out[i] = a[i]! * a[i]!;
      return;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(a[i]!);
      return;
    default: {
      const f = UNARY[op];
      for (let i = 0; i < n; i++) out[i] = f(a[i]!);
    }
  }
}

/**
 * A reusable interpreter for one input shape: buffers are allocated once, so evaluating many graphs
 * (the functional probe) allocates almost nothing. Values returned by `run` are overwritten by the
 * next call.
 */
export class LayerInterpreter {
  readonly shape: Shape4;
  private readonly size: number;
  private readonly epsilon: number;
  private readonly decay: number;
  private readonly groups: number;
  private readonly buffers: Float64Array[] = [];
  private readonly zero: Float64Array;
  private readonly v0: Float64Array;
  private readonly v1: Float64Array;
  /** The per-channel vectors last broadcast into v0/v1, to skip repeating it for the same params. */
  private lastV0?: Float64Array;
  private lastV1?: Float64Array;

  constructor(shape: readonly number[], options: InterpreterOptions = {}) {
    assertShape(shape);
    this.shape = shape;
    this.size = shapeSize(shape);
    this.epsilon = options.epsilon ?? EPSILON;
    this.decay = options.decay ?? MOVING_AVERAGE_DECAY;
    this.groups = options.groups ?? DEFAULT_GROUPS;
    this.zero = new Float64Array(this.size);
    this.v0 = new Float64Array(this.size);
    this.v1 = new Float64Array(this.size);
  }

  private buffer(index: number): Float64Array {
    while (this.buffers.length <= index) this.buffers.push(new Float64Array(this.size));
    return this.buffers[index]!;
  }

  private broadcastChannel(values: Float64Array, out: Float64Array): void {
    const [n, c, h, w] = this.shape;
    const hw = h * w;
    if (values.length !== c) throw new RangeError(`per-channel parameter has ${values.length} values, expected ${c}`);
    for (let b = 0; b < n; b++) {
      for (let ch = 0; ch < c; ch++) {
        const base = (b * c + ch) * hw;
        out.fill(values[ch]!, base, base + hw);
      }
    }
  }

  /**
   * Evaluates every node of a valid graph on `x` (flat NCHW data). Returns the node values by id
   * (x, zero, v0, v1, then intermediates) and the moving averages after the call.
   */
  run(graph: LayerGraph, x: Float64Array, mode: Mode, params: Pick<LayerParams, 'v0' | 'v1'>, state?: LayerState): { values: Float64Array[]; state: LayerState } {
    if (x.length !== this.size) throw new RangeError(`x has ${x.length} values, expected ${this.size}`);
    if (params.v0 !== this.lastV0) this.broadcastChannel(params.v0, this.v0);
    if (params.v1 !== this.lastV1) this.broadcastChannel(params.v1, this.v1);
    this.lastV0 = params.v0;
    this.lastV1 = params.v1;
    const values: Float64Array[] = [];
    values[X_ID] = x;
    values[ZERO_ID] = this.zero;
    values[V0_ID] = this.v0;
    values[V1_ID] = this.v1;
    const nextState = new Map<number, Float64Array>(state ?? []);
    const count = this.shape[0] * this.shape[2] * this.shape[3];
    for (let index = 0; index < graph.nodes.length; index++) {
      const node = graph.nodes[index]!;
      const id = index + NUM_INITIAL;
      const out = this.buffer(index);
      const a = values[node.inputs[0]!]!;
      const spec = OP_SPECS[node.op];
      if (spec.kind === 'aggregate') {
        const op = node.op as AggregateOp;
        if (node.axes === 'bwh') {
          const previous = state?.get(id) ?? initialMovingAverage(op, this.shape[1]);
          if (mode === 'train') {
            const stats = batchStatistics(op, a, this.shape);
            broadcastChannels(op, stats, out, this.shape, this.epsilon);
            nextState.set(id, updateMovingAverage(op, previous, stats, count, this.decay));
          } else {
            broadcastChannels(op, previous, out, this.shape, this.epsilon);
            nextState.set(id, previous);
          }
        } else {
          aggregateContiguous(op, node.axes!, a, out, this.shape, this.groups, this.epsilon);
        }
      } else if (spec.arity === 2) {
        binary(node.op as BinaryOp, a, values[node.inputs[1]!]!, out);
      } else {
        unary(node.op as UnaryOp, a, out);
      }
      values[id] = out;
    }
    return { values, state: nextState };
  }
}

/** Applies the per-channel affine `raw * gamma + beta` into a new array. */
export function applyAffine(raw: Float64Array, shape: Shape4, gamma: Float64Array, beta: Float64Array): Float64Array {
  const [n, c, h, w] = shape;
  const hw = h * w;
  const out = new Float64Array(raw.length);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (b * c + ch) * hw;
      const g = gamma[ch]!;
      const s = beta[ch]!;
      for (let i = base; i < base + hw; i++) out[i] = raw[i]! * g + s;
    }
  }
  return out;
}

/** Evaluates a valid layer on x; allocates fresh buffers (use LayerInterpreter for many calls). */
export function evaluateLayer(graph: LayerGraph, x: Tensor, options: EvaluateOptions): Evaluation {
  const channels = x.shape[1];
  const params = options.params ?? initialParams(channels);
  const interpreter = new LayerInterpreter(x.shape, options);
  const { values, state } = interpreter.run(graph, x.data, options.mode, params, options.state ?? initialState(graph, channels));
  const raw = Float64Array.from(values[values.length - 1]!);
  return {
    raw: tensor(x.shape, raw),
    output: tensor(x.shape, applyAffine(raw, x.shape, params.gamma, params.beta)),
    state,
  };
}
