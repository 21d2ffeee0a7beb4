/**
 * Conversion between the wire form of a layer graph (evonorm.v1.LayerGraph) and the IR of
 * @evonorm/graph. Wire graphs come from untrusted callers: `graphFromProto` maps unknown enum
 * values to names validation rejects with a clear message, then validates.
 */
import {
  layerJson,
  parseLayerGraph,
  type GraphNode,
  type GraphProblem as IrProblem,
  type IndexSet as IrIndexSet,
  type LayerGraph as IrGraph,
  type LayerGraphJson,
  type OpName,
  type ParseResult,
  type ValidationOptions,
} from '@evonorm/graph';
import type { GraphProblem } from './gen/evonorm/v1/candidate.js';
import { IndexSet, LayerGraph, Node, Op, indexSetToJSON, opToJSON } from './gen/evonorm/v1/graph.js';

const OP_TO_IR: Partial<Record<Op, OpName>> = {
  [Op.OP_ADD]: 'add',
  [Op.OP_MUL]: 'mul',
  [Op.OP_DIV]: 'div',
  [Op.OP_MAX]: 'max',
  [Op.OP_NEG]: 'neg',
  [Op.OP_SIGMOID]: 'sigmoid',
  [Op.OP_TANH]: 'tanh',
  [Op.OP_EXP]: 'exp',
  [Op.OP_ABS]: 'abs',
  [Op.OP_SQUARE]: 'square',
  [Op.OP_LOG]: 'log',
  [Op.OP_SQRT]: 'sqrt',
  [Op.OP_MEAN]: 'mean',
  [Op.OP_RMS]: 'rms',
  [Op.OP_STD]: 'std',
};

const INDEX_SET_TO_IR: Partial<Record<IndexSet, IrIndexSet>> = {
  [IndexSet.INDEX_SET_BATCH]: 'bwh',
  [IndexSet.INDEX_SET_LAYER]: 'whc',
  [IndexSet.INDEX_SET_INSTANCE]: 'wh',
  [IndexSet.INDEX_SET_GROUP]: 'whcg',
};

const OP_FROM_IR = new Map<OpName, Op>(Object.entries(OP_TO_IR).map(([k, v]) => [v, Number(k) as Op]));
const INDEX_SET_FROM_IR = new Map<IrIndexSet, IndexSet>(Object.entries(INDEX_SET_TO_IR).map(([k, v]) => [v, Number(k) as IndexSet]));

export function opFromIr(op: OpName): Op {
  return OP_FROM_IR.get(op)!;
}

export function opToIr(op: Op): OpName | undefined {
  return OP_TO_IR[op];
}

export function indexSetToIr(set: IndexSet): IrIndexSet | undefined {
  return INDEX_SET_TO_IR[set];
}

/** The wire form of a (valid or not) IR graph. */
export function graphToProto(graph: IrGraph): LayerGraph {
  return {
    nodes: graph.nodes.map((node): Node => ({
      op: opFromIr(node.op),
      inputs: [...node.inputs],
      indexSet: node.axes ? INDEX_SET_FROM_IR.get(node.axes)! : IndexSet.INDEX_SET_UNSPECIFIED,
    })),
  };
}

/** The IR nodes of a wire graph, unvalidated: unknown or unspecified enum values become their wire names. */
function irNodes(graph: LayerGraph): GraphNode[] {
  return graph.nodes.map((node): GraphNode => {
    const op = OP_TO_IR[node.op] ?? (opToJSON(node.op) as OpName);
    const irNode: { op: OpName; inputs: number[]; axes?: IrIndexSet } = { op, inputs: [...node.inputs] };
    if (node.indexSet !== IndexSet.INDEX_SET_UNSPECIFIED) {
      irNode.axes = INDEX_SET_TO_IR[node.indexSet] ?? (indexSetToJSON(node.indexSet) as IrIndexSet);
    }
    return irNode;
  });
}

/** Reads and validates a wire graph; problems name the field and node as for JSON input. */
export function graphFromProto(graph: LayerGraph | undefined, options: ValidationOptions = {}): ParseResult {
  if (!graph) return parseLayerGraph(undefined, options);
  // Unknown enum values keep their wire names, which validation reports.
  return parseLayerGraph({ nodes: irNodes(graph) }, options);
}

/** A wire graph as the documented layer JSON (op names, `axes`), what `--layer file.json` reads. */
export function layerJsonFromProto(graph: LayerGraph | undefined): LayerGraphJson {
  return layerJson({ nodes: graph ? irNodes(graph) : [] });
}

export function problemToProto(problem: IrProblem): GraphProblem {
  const out: GraphProblem = { code: problem.code, field: problem.field, message: problem.message };
  if (problem.nodeId !== undefined) out.nodeId = problem.nodeId;
  return out;
}
