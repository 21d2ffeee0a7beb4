/** Helpers shared by the graph tests. */
import { NUM_INITIAL, OP_SPECS, type GraphNode, type LayerGraph, type Rng } from '../src/index.js';

/**
 * The same DAG with its intermediate nodes in another random topological order (the output stays
 * last, as the IR requires) and commutative inputs randomly swapped.
 */
export function renumber(graph: LayerGraph, rng: Rng, swapCommutative = true): LayerGraph {
  const count = graph.nodes.length;
  const outputIndex = count - 1;
  const placed = new Set<number>();
  const order: number[] = [];
  while (order.length < count - 1) {
    const ready: number[] = [];
    for (let i = 0; i < outputIndex; i++) {
      if (placed.has(i)) continue;
      const deps = graph.nodes[i]!.inputs.filter((id) => id >= NUM_INITIAL).map((id) => id - NUM_INITIAL);
      if (deps.every((d) => placed.has(d))) ready.push(i);
    }
    const pick = rng.pick(ready);
    placed.add(pick);
    order.push(pick);
  }
  order.push(outputIndex);
  const newId = new Map<number, number>();
  for (let id = 0; id < NUM_INITIAL; id++) newId.set(id, id);
  order.forEach((oldIndex, newIndex) => newId.set(oldIndex + NUM_INITIAL, newIndex + NUM_INITIAL));
  const nodes: GraphNode[] = order.map((oldIndex) => {
    const node = graph.nodes[oldIndex]!;
    let inputs = node.inputs.map((id) => newId.get(id)!);
    if (swapCommutative && OP_SPECS[node.op].commutative && rng.int(2) === 1) inputs = inputs.reverse();
    return node.axes ? { op: node.op, inputs, axes: node.axes } : { op: node.op, inputs };
  });
  return { nodes };
}

/** Element-wise relative error check with a small absolute floor; returns the worst ratio. */
export function maxRelativeError(actual: Float64Array, expected: Float64Array, floor = 1e-12): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) || Number.isNaN(e)) return Infinity;
    const err = Math.abs(a - e) / Math.max(Math.abs(e), floor);
    if (err > worst) worst = err;
  }
  return worst;
}
