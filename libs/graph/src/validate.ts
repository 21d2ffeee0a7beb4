/**
 * Validation of layer graphs, typed or straight from JSON. Every problem is reported (not just the
 * first), each with the field path, the node id and a message that says how to fix it.
 */
import {
  INDEX_SETS,
  INITIAL_NODES,
  MAX_INTERMEDIATE_NODES,
  NUM_INITIAL,
  OP_NAMES,
  OP_SPECS,
  X_ID,
  ZERO_ID,
  describeId,
  isIndexSet,
  isOpName,
  type GraphNode,
  type IndexSet,
  type LayerGraph,
  type OpName,
} from './ops.js';

export type ProblemCode =
  | 'not_an_object'
  | 'no_nodes'
  | 'too_many_nodes'
  | 'unknown_op'
  | 'arity'
  | 'bad_input'
  | 'self_reference'
  | 'cycle'
  | 'forward_reference'
  | 'missing_axes'
  | 'unexpected_axes'
  | 'unknown_axes'
  | 'independent_of_x'
  | 'dead_output'
  | 'batch_dependent';

export interface GraphProblem {
  readonly code: ProblemCode;
  /** Path of the offending field, e.g. `nodes[2].inputs[1]`. */
  readonly field: string;
  /** Id of the offending node (intermediate nodes start at 4), when there is one. */
  readonly nodeId?: number;
  readonly message: string;
}

export interface ValidationOptions {
  /** Reject aggregates over the batch (the S series of the paper). */
  readonly batchIndependent?: boolean;
  /** Upper bound on intermediate nodes (default 10, the paper's 14 in total). */
  readonly maxNodes?: number;
}

/** Thrown by `assertValidGraph` and `parseLayerGraph` callers that want an exception. */
export class InvalidGraphError extends Error {
  constructor(readonly problems: readonly GraphProblem[]) {
    super(`invalid layer graph: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.name = 'InvalidGraphError';
  }
}

function nodeLabel(index: number, op?: string): string {
  const id = index + NUM_INITIAL;
  return op ? `node ${id} (nodes[${index}], ${op})` : `node ${id} (nodes[${index}])`;
}

/** All problems of a typed graph; an empty list means the graph is valid. */
export function validateGraph(graph: LayerGraph, options: ValidationOptions = {}): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const maxNodes = options.maxNodes ?? MAX_INTERMEDIATE_NODES;
  const count = graph.nodes.length;
  if (count === 0) {
    problems.push({
      code: 'no_nodes',
      field: 'nodes',
      message: 'the graph has no intermediate nodes; add at least one node (the last node is the output)',
    });
    return problems;
  }
  if (count > maxNodes) {
    problems.push({
      code: 'too_many_nodes',
      field: 'nodes',
      message: `the graph has ${count} intermediate nodes, at most ${maxNodes} are allowed; remove ${count - maxNodes}`,
    });
  }
  // Inputs per node in their original positions, -1 where an input is not a node id.
  const edges: number[][] = [];
  graph.nodes.forEach((node, index) => {
    edges.push(checkNode(node, index, count, options, problems));
  });
  checkCycles(edges, problems);
  // The dependency analysis needs every input to name an earlier node.
  if (problems.every((p) => !['self_reference', 'cycle', 'forward_reference', 'bad_input', 'unknown_op', 'arity'].includes(p.code))) {
    checkDependsOnX(graph, problems);
  }
  return problems;
}

function checkNode(node: GraphNode, index: number, count: number, options: ValidationOptions, problems: GraphProblem[]): number[] {
  const id = index + NUM_INITIAL;
  const field = `nodes[${index}]`;
  const validEdges: number[] = node.inputs.map(() => -1);
  const knownOp = isOpName(node.op);
  if (!knownOp) {
    problems.push({
      code: 'unknown_op',
      field: `${field}.op`,
      nodeId: id,
      message: `${nodeLabel(index)} has unknown op ${JSON.stringify(node.op)}; use one of ${OP_NAMES.join(', ')}`,
    });
  }
  const spec = knownOp ? OP_SPECS[node.op] : undefined;
  if (spec && node.inputs.length !== spec.arity) {
    problems.push({
      code: 'arity',
      field: `${field}.inputs`,
      nodeId: id,
      message: `${nodeLabel(index, node.op)} has ${node.inputs.length} input(s), ${node.op} takes ${spec.arity}`,
    });
  }
  const maxId = count - 1 + NUM_INITIAL;
  node.inputs.forEach((input, k) => {
    const inField = `${field}.inputs[${k}]`;
    if (!Number.isInteger(input) || input < 0 || input > maxId) {
      problems.push({
        code: 'bad_input',
        field: inField,
        nodeId: id,
        message: `${nodeLabel(index, node.op)} input ${k} is ${JSON.stringify(input)}, not a node id; use an earlier id in 0..${id - 1} (0=x, 1=zero, 2=v0, 3=v1)`,
      });
      return;
    }
    validEdges[k] = input;
    if (input === id) {
      problems.push({
        code: 'self_reference',
        field: inField,
        nodeId: id,
        message: `${nodeLabel(index, node.op)} input ${k} refers to the node itself, a cycle; use an earlier id in 0..${id - 1}`,
      });
    }
  });
  if (spec?.kind === 'aggregate') {
    if (node.axes === undefined) {
      problems.push({
        code: 'missing_axes',
        field: `${field}.axes`,
        nodeId: id,
        message: `${nodeLabel(index, node.op)} is an aggregate without an index set; set axes to one of ${INDEX_SETS.join(', ')}`,
      });
    } else if (!isIndexSet(node.axes)) {
      problems.push({
        code: 'unknown_axes',
        field: `${field}.axes`,
        nodeId: id,
        message: `${nodeLabel(index, node.op)} has unknown index set ${JSON.stringify(node.axes)}; use one of ${INDEX_SETS.join(', ')}`,
      });
    } else if (options.batchIndependent && node.axes === 'bwh') {
      problems.push({
        code: 'batch_dependent',
        field: `${field}.axes`,
        nodeId: id,
        message: `${nodeLabel(index, node.op)} aggregates over the batch (bwh), which a batch-independent search excludes; use whc, wh or whcg`,
      });
    }
  } else if (spec && node.axes !== undefined) {
    problems.push({
      code: 'unexpected_axes',
      field: `${field}.axes`,
      nodeId: id,
      message: `${nodeLabel(index, node.op)} is element-wise and takes no index set; remove axes`,
    });
  }
  return validEdges;
}

/** Forward references are allowed by the data model but not by the IR; those that close a loop are cycles. */
function checkCycles(edges: readonly number[][], problems: GraphProblem[]): void {
  const total = edges.length + NUM_INITIAL;
  const adjacency = (id: number): readonly number[] => (id < NUM_INITIAL ? [] : edges[id - NUM_INITIAL]!.filter((input) => input >= 0));
  const onCycle = new Set<number>();
  const state = new Uint8Array(total); // 0 new, 1 on stack, 2 done
  const stack: number[] = [];
  const visit = (id: number): void => {
    state[id] = 1;
    stack.push(id);
    for (const next of adjacency(id)) {
      if (next === id) continue; // reported as self_reference
      if (state[next] === 1) {
        for (let k = stack.indexOf(next); k < stack.length; k++) onCycle.add(stack[k]!);
      } else if (state[next] === 0) {
        visit(next);
      }
    }
    stack.pop();
    state[id] = 2;
  };
  for (let id = NUM_INITIAL; id < total; id++) if (state[id] === 0) visit(id);

  edges.forEach((inputs, index) => {
    const id = index + NUM_INITIAL;
    inputs.forEach((input, k) => {
      if (input < 0 || input <= id - 1 || input === id) return;
      const field = `nodes[${index}].inputs[${k}]`;
      if (onCycle.has(id) && onCycle.has(input)) {
        problems.push({
          code: 'cycle',
          field,
          nodeId: id,
          message: `node ${id} (nodes[${index}]) is on a cycle through ${describeId(input)}; inputs must be earlier ids in 0..${id - 1}`,
        });
      } else {
        problems.push({
          code: 'forward_reference',
          field,
          nodeId: id,
          message: `node ${id} (nodes[${index}]) input refers to ${describeId(input)}, which comes later; inputs must be earlier ids in 0..${id - 1}`,
        });
      }
    });
  });
}

/**
 * Whether the output varies with x, for a graph whose inputs all refer to earlier nodes.
 * A path that only goes through a product with the constant zero is dead: the output is then
 * constant although x is structurally connected.
 */
export function xDependence(graph: LayerGraph): 'live' | 'independent_of_x' | 'dead_output' {
  const total = graph.nodes.length + NUM_INITIAL;
  const reaches = new Uint8Array(total); // a structural path from x
  const live = new Uint8Array(total); // the value actually varies with x
  const zero = new Uint8Array(total); // the value is provably 0
  reaches[X_ID] = 1;
  live[X_ID] = 1;
  zero[ZERO_ID] = 1;
  for (let index = 0; index < graph.nodes.length; index++) {
    const node = graph.nodes[index]!;
    const id = index + NUM_INITIAL;
    const a = node.inputs[0]!;
    const b = node.inputs.length > 1 ? node.inputs[1]! : a;
    reaches[id] = reaches[a]! | reaches[b]!;
    switch (node.op) {
      case 'mul':
        zero[id] = zero[a]! | zero[b]!;
        break;
      case 'div':
        zero[id] = zero[a]!; // 0 / b is 0 (or NaN for b = 0): constant either way
        break;
      case 'add':
      case 'max':
      case 'neg':
      case 'abs':
      case 'square':
      case 'sqrt':
      case 'tanh':
      case 'mean':
        zero[id] = zero[a]! & zero[b]!;
        break;
      default:
        zero[id] = 0;
    }
    live[id] = zero[id] ? 0 : (live[a]! & (zero[a]! ^ 1)) | (live[b]! & (zero[b]! ^ 1));
  }
  const out = total - 1;
  if (!reaches[out]) return 'independent_of_x';
  return live[out] ? 'live' : 'dead_output';
}

function checkDependsOnX(graph: LayerGraph, problems: GraphProblem[]): void {
  const out = graph.nodes.length - 1 + NUM_INITIAL;
  const field = `nodes[${graph.nodes.length - 1}]`;
  const dependence = xDependence(graph);
  if (dependence === 'independent_of_x') {
    problems.push({
      code: 'independent_of_x',
      field,
      nodeId: out,
      message: `the output (node ${out}) does not depend on x (node 0); connect x to the output through some path`,
    });
  } else if (dependence === 'dead_output') {
    problems.push({
      code: 'dead_output',
      field,
      nodeId: out,
      message: `the output (node ${out}) is constant: every path from x is multiplied by the constant zero (node 1); remove the zero factor`,
    });
  }
}

export function assertValidGraph(graph: LayerGraph, options: ValidationOptions = {}): void {
  const problems = validateGraph(graph, options);
  if (problems.length > 0) throw new InvalidGraphError(problems);
}

export type ParseResult =
  | { readonly ok: true; readonly graph: LayerGraph }
  /** `graph` is set when every field parsed and only validation failed (e.g. independent of x). */
  | { readonly ok: false; readonly problems: readonly GraphProblem[]; readonly graph?: LayerGraph };

/**
 * Reads an untrusted JSON value (`{"nodes":[{"op":"mul","inputs":[3,0]}, ...]}`) into a graph,
 * checking field types first and then everything `validateGraph` checks.
 */
export function parseLayerGraph(value: unknown, options: ValidationOptions = {}): ParseResult {
  const problems: GraphProblem[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      problems: [{ code: 'not_an_object', field: '', message: 'a layer graph must be an object {"nodes": [...]}' }],
    };
  }
  const nodesValue = (value as { nodes?: unknown }).nodes;
  if (!Array.isArray(nodesValue)) {
    return {
      ok: false,
      problems: [{ code: 'not_an_object', field: 'nodes', message: 'nodes must be an array of {"op", "inputs", "axes"?} objects' }],
    };
  }
  const maxNodes = options.maxNodes ?? MAX_INTERMEDIATE_NODES;
  if (nodesValue.length > maxNodes * 100) {
    // Refuse to walk absurd inputs; the count alone is the problem.
    return {
      ok: false,
      problems: [
        {
          code: 'too_many_nodes',
          field: 'nodes',
          message: `the graph has ${nodesValue.length} intermediate nodes, at most ${maxNodes} are allowed`,
        },
      ],
    };
  }
  const nodes: GraphNode[] = [];
  nodesValue.forEach((raw: unknown, index) => {
    const field = `nodes[${index}]`;
    const id = index + NUM_INITIAL;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      problems.push({ code: 'not_an_object', field, nodeId: id, message: `${nodeLabel(index)} must be an object {"op", "inputs"}` });
      return;
    }
    const { op, inputs, axes } = raw as { op?: unknown; inputs?: unknown; axes?: unknown };
    if (!Array.isArray(inputs)) {
      problems.push({
        code: 'bad_input',
        field: `${field}.inputs`,
        nodeId: id,
        message: `${nodeLabel(index)} inputs must be an array of earlier node ids (0=x, 1=zero, 2=v0, 3=v1)`,
      });
      return;
    }
    if (axes !== undefined && axes !== null && typeof axes !== 'string') {
      problems.push({
        code: 'unknown_axes',
        field: `${field}.axes`,
        nodeId: id,
        message: `${nodeLabel(index)} axes must be one of ${INDEX_SETS.join(', ')}`,
      });
      return;
    }
    const node: { op: OpName; inputs: number[]; axes?: IndexSet } = {
      op: op as OpName,
      inputs: inputs as number[],
    };
    if (typeof axes === 'string') node.axes = axes as IndexSet;
    nodes.push(node);
  });
  if (problems.length > 0) return { ok: false, problems };
  const graph: LayerGraph = { nodes };
  const semantic = validateGraph(graph, options);
  return semantic.length > 0 ? { ok: false, problems: semantic, graph } : { ok: true, graph };
}

/** The ids of the initial nodes, for messages and docs. */
export const INITIAL_NODE_HELP = INITIAL_NODES.map((name, id) => `${id}=${name}`).join(', ');
