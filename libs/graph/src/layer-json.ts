/**
 * The layer JSON, the one documented file form of a graph (docs/layers.md, "The layer IR"):
 * {"nodes": [{"op": "mul", "inputs": [3, 0]}, {"op": "std", "inputs": [0], "axes": "whcg"}, ...]}.
 * `parseLayerGraph` (validate.ts) reads it, as `--layer file.json` does; `layerJson` writes it,
 * for every graph the CLI prints or saves, so what one command writes another reads.
 */
import type { IndexSet, LayerGraph, OpName } from './ops.js';

export interface LayerNodeJson {
  readonly op: OpName;
  readonly inputs: number[];
  /** Only on aggregates (mean, rms, std). */
  readonly axes?: IndexSet;
}

export interface LayerGraphJson {
  readonly nodes: LayerNodeJson[];
}

/** A graph as layer JSON: op names, input ids, `axes` only where set, and nothing else. */
export function layerJson(graph: LayerGraph): LayerGraphJson {
  return { nodes: graph.nodes.map((node) => (node.axes ? { op: node.op, inputs: [...node.inputs], axes: node.axes } : { op: node.op, inputs: [...node.inputs] })) };
}
