/**
 * The layer IR's vocabulary: initial nodes, primitive ops, index sets, and the primitive table
 * that random generation and mutation draw from.
 */

export const ELEMENTWISE_BINARY_OPS = ['add', 'mul', 'div', 'max'] as const;
export const ELEMENTWISE_UNARY_OPS = ['neg', 'sigmoid', 'tanh', 'exp', 'abs', 'square', 'log', 'sqrt'] as const;
export const AGGREGATE_OPS = ['mean', 'rms', 'std'] as const;

export type BinaryOp = (typeof ELEMENTWISE_BINARY_OPS)[number];
export type UnaryOp = (typeof ELEMENTWISE_UNARY_OPS)[number];
export type AggregateOp = (typeof AGGREGATE_OPS)[number];
export type OpName = BinaryOp | UnaryOp | AggregateOp;

export const OP_NAMES: readonly OpName[] = [...ELEMENTWISE_BINARY_OPS, ...ELEMENTWISE_UNARY_OPS, ...AGGREGATE_OPS];

/**
 * Index sets an aggregate reduces over, named by the axes reduced:
 * bwh = batch (BatchNorm), whc = layer (LayerNorm), wh = instance, whcg = group of c/g channels.
 */
export const INDEX_SETS = ['bwh', 'whc', 'wh', 'whcg'] as const;
export type IndexSet = (typeof INDEX_SETS)[number];

/** Ids 0..3 are the initial nodes; intermediate node i (0-based) has id i + 4. */
export const INITIAL_NODES = ['x', 'zero', 'v0', 'v1'] as const;
export type InitialNode = (typeof INITIAL_NODES)[number];
export const X_ID = 0;
export const ZERO_ID = 1;
export const V0_ID = 2;
export const V1_ID = 3;
export const NUM_INITIAL = INITIAL_NODES.length;
export const MAX_INTERMEDIATE_NODES = 10;
export const MAX_TOTAL_NODES = NUM_INITIAL + MAX_INTERMEDIATE_NODES;

/** Numeric constants of the method (DESIGN.md). */
export const EPSILON = 1e-5;
export const MOVING_AVERAGE_DECAY = 0.9;
export const DEFAULT_GROUPS = 32;

export interface OpSpec {
  readonly name: OpName;
  readonly arity: 1 | 2;
  readonly kind: 'elementwise' | 'aggregate';
  /** Inputs may be swapped without changing the result (canonical form sorts them). */
  readonly commutative: boolean;
}

export const OP_SPECS: Readonly<Record<OpName, OpSpec>> = Object.freeze({
  add: { name: 'add', arity: 2, kind: 'elementwise', commutative: true },
  mul: { name: 'mul', arity: 2, kind: 'elementwise', commutative: true },
  div: { name: 'div', arity: 2, kind: 'elementwise', commutative: false },
  max: { name: 'max', arity: 2, kind: 'elementwise', commutative: true },
  neg: { name: 'neg', arity: 1, kind: 'elementwise', commutative: false },
  sigmoid: { name: 'sigmoid', arity: 1, kind: 'elementwise', commutative: false },
  tanh: { name: 'tanh', arity: 1, kind: 'elementwise', commutative: false },
  exp: { name: 'exp', arity: 1, kind: 'elementwise', commutative: false },
  abs: { name: 'abs', arity: 1, kind: 'elementwise', commutative: false },
  square: { name: 'square', arity: 1, kind: 'elementwise', commutative: false },
  log: { name: 'log', arity: 1, kind: 'elementwise', commutative: false },
  sqrt: { name: 'sqrt', arity: 1, kind: 'elementwise', commutative: false },
  mean: { name: 'mean', arity: 1, kind: 'aggregate', commutative: false },
  rms: { name: 'rms', arity: 1, kind: 'aggregate', commutative: false },
  std: { name: 'std', arity: 1, kind: 'aggregate', commutative: false },
});

export function isOpName(value: unknown): value is OpName {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(OP_SPECS, value);
}

export function isIndexSet(value: unknown): value is IndexSet {
  return typeof value === 'string' && (INDEX_SETS as readonly string[]).includes(value);
}

/** One intermediate node: an op applied to earlier node ids. `axes` is set exactly for aggregates. */
export interface GraphNode {
  readonly op: OpName;
  readonly inputs: readonly number[];
  readonly axes?: IndexSet;
}

/** A layer: the intermediate nodes in order; the last one is the output. */
export interface LayerGraph {
  readonly nodes: readonly GraphNode[];
}

/** An entry of the primitive table: an element-wise op, or an aggregate with its index set. */
export interface Primitive {
  readonly op: OpName;
  readonly axes?: IndexSet;
}

/**
 * The primitive table mutation draws from uniformly: 12 element-wise ops plus 3 aggregates x 4 index
 * sets (24 entries); a batch-independent search drops the batch aggregates (21 entries).
 */
export function primitiveTable(options: { batchIndependent?: boolean } = {}): readonly Primitive[] {
  const table: Primitive[] = [...ELEMENTWISE_BINARY_OPS, ...ELEMENTWISE_UNARY_OPS].map((op) => ({ op }));
  for (const op of AGGREGATE_OPS) {
    for (const axes of INDEX_SETS) {
      if (options.batchIndependent && axes === 'bwh') continue;
      table.push({ op, axes });
    }
  }
  return table;
}

export function nodeId(index: number): number {
  return index + NUM_INITIAL;
}

export function outputId(graph: LayerGraph): number {
  return graph.nodes.length - 1 + NUM_INITIAL;
}

/** True when a node keeps moving averages (an aggregate over the batch). */
export function isBatchAggregate(node: GraphNode): boolean {
  return OP_SPECS[node.op].kind === 'aggregate' && node.axes === 'bwh';
}

/** Number of groups for the (w,h,c/g) index set: 32, else the largest divisor of C below 32. */
export function groupCount(channels: number, groups: number = DEFAULT_GROUPS): number {
  if (channels % groups === 0) return groups;
  for (let g = Math.min(groups - 1, channels); g >= 1; g--) {
    if (channels % g === 0) return g;
  }
  return 1;
}

/** A readable name for a node id, e.g. `x`, `v1`, `node 6`. */
export function describeId(id: number): string {
  return id < NUM_INITIAL ? INITIAL_NODES[id]! : `node ${id}`;
}
