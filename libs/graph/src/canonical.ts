/**
 * Canonical form and structural hash. Two graphs that differ only by node numbering, by the order of
 * a commutative op's inputs, by dead nodes or by duplicated subexpressions have the same canonical
 * form and hash. The hash is Merkle-style: a node's signature hashes its op, index set and its
 * inputs' signatures (sorted for commutative ops), so it never depends on ids.
 */
import { Hash64 } from './hash.js';
import { INDEX_SETS, NUM_INITIAL, OP_NAMES, OP_SPECS, type GraphNode, type LayerGraph } from './ops.js';

type Signature = readonly [number, number];

export interface CanonicalGraph {
  readonly graph: LayerGraph;
  /** Structural hash, 16 hex characters. */
  readonly hash: string;
  /** For each id of the input graph, its id in the canonical graph, or -1 if it was dropped. */
  readonly idMap: Int32Array;
}

function compareSignatures(a: Signature, b: Signature): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

function signatureKey(s: Signature): number {
  // 53 bits are plenty to key a map of at most 14 nodes; collisions are as unlikely as hash ones.
  return (s[0] & 0x1fffff) * 4294967296 + s[1];
}

function initialSignature(id: number): Signature {
  return new Hash64(0x1000 + id).word(id).digest();
}

/** Signatures of every node (ids 0..n+3); assumes a valid graph. */
export function nodeSignatures(graph: LayerGraph): Signature[] {
  const sigs: Signature[] = [];
  for (let id = 0; id < NUM_INITIAL; id++) sigs.push(initialSignature(id));
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((i) => sigs[i]!);
    if (OP_SPECS[node.op].commutative) inputs.sort(compareSignatures);
    const h = new Hash64(0x2000).word(OP_NAMES.indexOf(node.op)).word(node.axes ? INDEX_SETS.indexOf(node.axes) + 1 : 0);
    for (const s of inputs) h.word(s[0]).word(s[1]);
    sigs.push(h.digest());
  }
  return sigs;
}

/** Canonical form of a valid graph (validate first: ids must refer to earlier nodes). */
export function canonicalize(graph: LayerGraph): CanonicalGraph {
  const sigs = nodeSignatures(graph);
  const total = graph.nodes.length + NUM_INITIAL;
  const idMap = new Int32Array(total).fill(-1);
  for (let id = 0; id < NUM_INITIAL; id++) idMap[id] = id;
  const bySignature = new Map<number, number>();
  const nodes: GraphNode[] = [];

  const orderedInputs = (node: GraphNode): number[] => {
    const inputs = [...node.inputs];
    if (OP_SPECS[node.op].commutative) inputs.sort((a, b) => compareSignatures(sigs[a]!, sigs[b]!));
    return inputs;
  };

  // Post-order from the output, inputs in canonical order: depends only on the DAG's structure.
  const emit = (id: number): number => {
    if (idMap[id]! >= 0) return idMap[id]!;
    const key = signatureKey(sigs[id]!);
    const same = bySignature.get(key);
    if (same !== undefined) {
      idMap[id] = same;
      return same;
    }
    const node = graph.nodes[id - NUM_INITIAL]!;
    const inputs = orderedInputs(node).map(emit);
    const newId = nodes.length + NUM_INITIAL;
    nodes.push(node.axes ? { op: node.op, inputs, axes: node.axes } : { op: node.op, inputs });
    bySignature.set(key, newId);
    idMap[id] = newId;
    return newId;
  };
  const output = total - 1;
  emit(output);
  const s = sigs[output]!;
  const hash = s[0].toString(16).padStart(8, '0') + s[1].toString(16).padStart(8, '0');
  return { graph: { nodes }, hash, idMap };
}

/** Structural hash without building the canonical graph. */
export function structuralHash(graph: LayerGraph): string {
  const s = nodeSignatures(graph)[graph.nodes.length + NUM_INITIAL - 1]!;
  return s[0].toString(16).padStart(8, '0') + s[1].toString(16).padStart(8, '0');
}

/** Ids that the output depends on (the output included); the rest are dead. */
export function liveIds(graph: LayerGraph): Set<number> {
  const live = new Set<number>();
  const stack = [graph.nodes.length + NUM_INITIAL - 1];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    if (id >= NUM_INITIAL) stack.push(...graph.nodes[id - NUM_INITIAL]!.inputs);
  }
  return live;
}
