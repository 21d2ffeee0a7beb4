/**
 * Random layer graphs and the paper's mutation, both driven by an explicit seeded generator.
 *
 * Mutation (Liu et al. 2020): pick an intermediate node uniformly, replace its op with one drawn
 * uniformly from the primitive table, and draw its new predecessors uniformly among earlier nodes;
 * its successors keep pointing at it. A draw that gives an invalid child (e.g. an output no longer
 * connected to x) or one with the parent's canonical form is redrawn, so mutation always returns a
 * valid graph that computes something else: rejection sampling from the paper's distribution
 * conditioned on validity and change. Without the second condition a mutation of a dead node (one
 * the output does not use) returns the parent's layer again: a search from random graphs, whose
 * survivors carry many dead nodes, then spends most of its candidates on copies of them.
 */
import { MAX_INTERMEDIATE_NODES, NUM_INITIAL, OP_SPECS, primitiveTable, type GraphNode, type LayerGraph, type Primitive } from './ops.js';
import { structuralHash } from './canonical.js';
import type { Rng } from './rng.js';
import { assertValidGraph, xDependence } from './validate.js';

export interface GenerationOptions {
  /** Exclude aggregates over the batch (the S series). */
  readonly batchIndependent?: boolean;
  /** Intermediate node count range, inclusive; default 1..10. */
  readonly minNodes?: number;
  readonly maxNodes?: number;
  /** Give up after this many invalid draws (default 10,000). */
  readonly maxAttempts?: number;
}

function drawNode(rng: Rng, table: readonly Primitive[], id: number): GraphNode {
  const primitive = rng.pick(table);
  const inputs: number[] = [];
  for (let k = 0; k < OP_SPECS[primitive.op].arity; k++) inputs.push(rng.int(id));
  return primitive.axes ? { op: primitive.op, inputs, axes: primitive.axes } : { op: primitive.op, inputs };
}

/** A uniformly random valid graph: node count, ops and inputs drawn uniformly, redrawn until valid. */
export function randomGraph(rng: Rng, options: GenerationOptions = {}): LayerGraph {
  const minNodes = options.minNodes ?? 1;
  const maxNodes = options.maxNodes ?? MAX_INTERMEDIATE_NODES;
  if (!Number.isInteger(minNodes) || !Number.isInteger(maxNodes) || minNodes < 1 || maxNodes < minNodes) {
    throw new RangeError(`need integers 1 <= minNodes <= maxNodes, got ${minNodes}..${maxNodes}`);
  }
  if (maxNodes > MAX_INTERMEDIATE_NODES) {
    throw new RangeError(`maxNodes ${maxNodes} exceeds the limit of ${MAX_INTERMEDIATE_NODES}`);
  }
  const table = primitiveTable(options);
  const attempts = options.maxAttempts ?? 10_000;
  // Draws are structurally valid by construction (known ops, right arity, earlier inputs, batch
  // aggregates only when allowed), so only the dependence on x remains to check.
  for (let attempt = 0; attempt < attempts; attempt++) {
    const count = rng.intBetween(minNodes, maxNodes);
    const nodes: GraphNode[] = [];
    for (let i = 0; i < count; i++) nodes.push(drawNode(rng, table, i + NUM_INITIAL));
    const graph = { nodes };
    if (xDependence(graph) === 'live') return graph;
  }
  throw new Error(`no valid random graph in ${attempts} draws`);
}

export interface Mutation {
  readonly child: LayerGraph;
  /** Index (in `nodes`) of the mutated node. */
  readonly index: number;
  /** Draws needed, 1 when the first draw gave a valid, changed layer. */
  readonly attempts: number;
}

function sameNode(a: GraphNode, b: GraphNode): boolean {
  return a.op === b.op && a.axes === b.axes && a.inputs.length === b.inputs.length && a.inputs.every((v, k) => v === b.inputs[k]);
}

/** The paper's mutation of a valid parent (else InvalidGraphError); the parent is not modified. */
export function mutate(parent: LayerGraph, rng: Rng, options: GenerationOptions = {}): Mutation {
  assertValidGraph(parent, { batchIndependent: options.batchIndependent ?? false });
  const table = primitiveTable(options);
  const attempts = options.maxAttempts ?? 10_000;
  const parentHash = structuralHash(parent);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const index = rng.int(parent.nodes.length);
    const node = drawNode(rng, table, index + NUM_INITIAL);
    if (sameNode(node, parent.nodes[index]!)) continue;
    const nodes = parent.nodes.slice();
    nodes[index] = node;
    const child = { nodes };
    // Valid by construction but for the dependence on x (see randomGraph).
    if (xDependence(child) === 'live' && structuralHash(child) !== parentHash) return { child, index, attempts: attempt };
  }
  throw new Error(`no valid mutation in ${attempts} draws; is the parent valid?`);
}
