/**
 * Validation of request fields shared by the services. Each failure is INVALID_ARGUMENT with the
 * field path and the fix, e.g. "parent.nodes[2].inputs[1]: node 6 ... use an earlier id in 0..5".
 */
import { MAX_INTERMEDIATE_NODES, type LayerGraph as IrGraph } from '@evonorm/graph';
import { graphFromProto, type LayerGraph, type SearchSpace } from '@evonorm/contracts';
import { invalidArgument } from './errors.js';

/** A valid IR graph from a wire graph, or INVALID_ARGUMENT naming the field of every problem (up to 5). */
export function requireGraph(field: string, graph: LayerGraph | undefined, options: { batchIndependent?: boolean } = {}): IrGraph {
  if (!graph) throw invalidArgument(field, 'a layer graph is required');
  const parsed = graphFromProto(graph, options);
  if (parsed.ok) return parsed.graph;
  const shown = parsed.problems.slice(0, 5).map((p) => `${field}${p.field ? `.${p.field}` : ''}: ${p.message}`);
  const more = parsed.problems.length > 5 ? `; and ${parsed.problems.length - 5} more` : '';
  throw invalidArgument(field, `invalid layer graph: ${shown.join('; ')}${more}`);
}

/** A proto3 number where 0 means "the default": `fallback` for 0, else a value in [lo, hi]. */
export function optionalInRange(field: string, value: number, lo: number, hi: number, fallback: number): number {
  if (value === 0) return fallback;
  if (!Number.isFinite(value) || value < lo || value > hi) throw invalidArgument(field, `must be in [${lo}, ${hi}] (0 for the default ${fallback}), got ${value}`);
  return value;
}

/** A seed for Rng.fromSeed: any uint64 (the decoder already holds wire values to that range). */
export function requireSeed(field: string, value: bigint): bigint {
  if (value < 0n || value > 0xffffffffffffffffn) throw invalidArgument(field, `must be an integer in [0, 2^64), got ${value}`);
  return value;
}

export interface Space {
  readonly batchIndependent: boolean;
  readonly minNodes: number;
  readonly maxNodes: number;
}

/** A search space with defaults (1..10 nodes); rejects impossible node ranges. */
export function requireSpace(field: string, space: SearchSpace | undefined): Space {
  const minNodes = space?.minNodes || 1;
  const maxNodes = space?.maxNodes || MAX_INTERMEDIATE_NODES;
  if (maxNodes > MAX_INTERMEDIATE_NODES) {
    throw invalidArgument(`${field}.max_nodes`, `at most ${MAX_INTERMEDIATE_NODES} intermediate nodes (14 in all), got ${maxNodes}`);
  }
  if (minNodes > maxNodes) throw invalidArgument(`${field}.min_nodes`, `must not exceed max_nodes (${maxNodes}), got ${minNodes}`);
  return { batchIndependent: space?.batchIndependent ?? false, minNodes, maxNodes };
}
