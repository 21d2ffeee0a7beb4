/**
 * Turns a search's history (protobuf candidates) and plan into the page's ReportData: outcomes,
 * per-architecture scores, zoo names, the node each mutation changed, the Pareto front's ids.
 */
import type { Candidate, LayerGraph } from '@evonorm/contracts';
import { structuralHash, zooLayers } from '@evonorm/graph';
import { graphFromProto } from '@evonorm/contracts';
import { ladderEntry } from '../search/ladder-entry.js';
import { meanAccuracy, reasonName } from '../search/loop.js';
import { scaleText, type SearchPlan } from '../search/plan.js';
import type { CandidateView, CompareView, GraphNodeView, RerankView, ReportData, ReplicaView } from './model.js';

const OP_NAMES = ['', 'add', 'mul', 'div', 'max', 'neg', 'sigmoid', 'tanh', 'exp', 'abs', 'square', 'log', 'sqrt', 'mean', 'rms', 'std'];
const AXES = ['', 'bwh', 'whc', 'wh', 'whcg'];

/** Zoo layers by structural hash (the hash the mutation service stores on each candidate). */
function zooByHash(): Map<string, string> {
  return new Map(zooLayers().map((z) => [structuralHash(z.graph), z.name]));
}

function nodesOf(graph: LayerGraph | undefined): GraphNodeView[] {
  return (graph?.nodes ?? []).map((n, i) => ({ id: i + 4, op: OP_NAMES[n.op] ?? `op${n.op}`, inputs: n.inputs, ...(n.indexSet ? { axes: AXES[n.indexSet] ?? `axes${n.indexSet}` } : {}) }));
}

const sameNode = (a: GraphNodeView, b: GraphNodeView): boolean => a.op === b.op && a.axes === b.axes && a.inputs.join(',') === b.inputs.join(',');

/** The node id a mutation changed: the one differing node (a mutation replaces exactly one), else null. */
export function changedNode(parent: readonly GraphNodeView[] | undefined, child: readonly GraphNodeView[]): number | null {
  if (!parent || parent.length !== child.length) return null;
  const differing = child.filter((n, i) => !sameNode(n, parent[i]!));
  return differing.length === 1 ? differing[0]!.id : null;
}

export function outcomeName(c: Candidate): string {
  if (c.duplicateOf) return 'duplicate';
  if (c.fitness) return 'evaluated';
  return c.rejection ? reasonName(c.rejection.reason) : 'unknown';
}

const kebab = (key: string): string => key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);

/** The plan as `evonorm search` flags and their values. */
export function planFlags(plan: SearchPlan | Readonly<Record<string, unknown>>): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const [key, value] of Object.entries(plan)) {
    if (value === undefined) continue;
    flags[kebab(key)] = Array.isArray(value) ? value.join(',') : typeof value === 'object' && value !== null ? scaleText(value as Record<string, number>) : String(value);
  }
  return flags;
}

export interface BuildInput {
  readonly title: string;
  readonly plan: Readonly<Record<string, string>>;
  readonly environment: Readonly<Record<string, string>>;
  readonly history: readonly Candidate[];
  readonly frontIds: readonly string[];
  readonly frontSource: string;
  readonly replicas?: readonly ReplicaView[];
  readonly status?: string;
  readonly notes?: readonly string[];
  readonly now?: number;
  readonly rerank?: RerankView;
  readonly compare?: CompareView;
}

export function buildReportData(input: BuildInput): ReportData {
  const zoo = zooByHash();
  const start = input.history.reduce((m, c) => (Number(c.createdUnixMs) > 0 && Number(c.createdUnixMs) < m ? Number(c.createdUnixMs) : m), Number.POSITIVE_INFINITY);
  const nodesById = new Map<string, GraphNodeView[]>();
  const candidates: CandidateView[] = input.history.map((c, index) => {
    const nodes = nodesOf(c.graph);
    nodesById.set(c.id, nodes);
    const scores = c.fitness?.scores ?? c.rejection?.scores ?? [];
    const parsed = graphFromProto(c.graph, {});
    const hash = c.hashes?.structural || (parsed.ok ? structuralHash(parsed.graph) : '');
    const entry = ladderEntry(c);
    return {
      id: c.id,
      index,
      parentId: c.parentId,
      outcome: outcomeName(c),
      scores: Object.fromEntries(scores.map((s) => [s.architecture, s.accuracy])),
      seedScores: Object.fromEntries(
        (c.fitness?.scores ?? []).map((s) => [s.architecture, (s as { seedAccuracies?: readonly number[] }).seedAccuracies ?? []] as const).filter(([, seeds]) => seeds.length > 1),
      ),
      mean: c.fitness ? meanAccuracy(c) : null,
      costRatio: c.cost?.ratio ?? null,
      formula: c.formula?.text ?? '',
      latex: c.formula?.latex ?? '',
      zoo: zoo.get(hash) ?? '',
      duplicateOf: c.duplicateOf,
      elapsedMs: Number.isFinite(start) && Number(c.createdUnixMs) > 0 ? Number(c.createdUnixMs) - start : 0,
      nodes,
      changedNode: c.parentId ? changedNode(nodesById.get(c.parentId), nodes) : null,
      detail: c.rejection?.detail ?? '',
      ...(entry ? { ladder: entry } : {}),
    };
  });
  const architectures = [...new Set(input.history.flatMap((c) => (c.fitness?.scores ?? []).map((s) => s.architecture)))];
  const planned = input.plan.architectures?.split(',').filter((a) => a.length > 0) ?? [];
  return {
    title: input.title,
    generatedUnixMs: input.now ?? Date.now(),
    plan: input.plan,
    environment: input.environment,
    architectures: planned.length > 0 ? [...planned, ...architectures.filter((a) => !planned.includes(a))] : architectures,
    candidates,
    front: input.frontIds,
    frontSource: input.frontSource,
    ...(input.replicas ? { replicas: input.replicas } : {}),
    ...(input.status ? { status: input.status } : {}),
    notes: input.notes ?? [],
    ...(input.rerank ? { rerank: input.rerank } : {}),
    ...(input.compare ? { compare: input.compare } : {}),
  };
}
