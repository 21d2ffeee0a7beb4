/**
 * Stage 1, proposal: candidate i's graph (a zoo layer, a tournament winner's mutated child, or a
 * random graph, each draw seeded by (search seed, i)), screened by the rejection service's static
 * and probe checks, and matched by functional hash against every earlier candidate so a duplicate
 * reuses its original's outcome. Called in index order; see loop.ts.
 */
import { Timings, graphFromProto, graphToProto, type Candidate, type LayerGraph } from '@evonorm/contracts';
import { renderFormula, zooLayers } from '@evonorm/graph';
import type { SearchBackend } from './backend.js';
import type { SearchPlan } from './plan.js';
import { candidateId, seedFor } from './seeds.js';

/** A screened candidate: rejected already, a duplicate of an earlier one, or new (to test and evaluate). */
export type Proposal =
  | { readonly kind: 'rejected'; readonly candidate: Candidate }
  | { readonly kind: 'duplicate'; readonly candidate: Candidate; readonly hash: string }
  | { readonly kind: 'new'; readonly candidate: Candidate; readonly hash: string };

function formulaOf(graph: LayerGraph | undefined): { text: string; latex: string } {
  const parsed = graphFromProto(graph, {});
  return parsed.ok ? { text: renderFormula(parsed.graph, 'text'), latex: renderFormula(parsed.graph, 'latex') } : { text: '', latex: '' };
}

export class ProposalStage {
  private readonly zoo;

  constructor(
    private readonly plan: SearchPlan,
    private readonly backend: SearchBackend,
    /** First outcome of every functional hash seen so far (earlier candidates'). */
    private readonly byHash: ReadonlyMap<string, unknown>,
  ) {
    this.zoo = plan.initZoo ? zooLayers().filter((z) => z.batchIndependent || !plan.batchIndependent) : [];
  }

  /** Candidate i's graph and parent. */
  async graph(i: number): Promise<{ graph: LayerGraph; parentId: string }> {
    const { plan, backend } = this;
    const zooLayer = this.zoo[i];
    if (zooLayer) return { graph: graphToProto(zooLayer.graph), parentId: '' };
    // The first P candidates form the initial population (zoo, then random graphs); those the
    // rejection stages turn away never enter it, so it starts at most P strong.
    if (plan.strategy === 'evolve' && i >= plan.population) {
      const parent = await backend.sampleParent(seedFor(plan.seed, i, 'tournament'));
      if (parent) return { graph: await backend.mutate(parent.graph!, seedFor(plan.seed, i, 'mutation'), plan.batchIndependent), parentId: parent.id };
    }
    return { graph: await backend.randomGraph(seedFor(plan.seed, i, 'graph'), plan.batchIndependent), parentId: '' };
  }

  /** Proposes and screens candidate i. */
  async propose(i: number): Promise<Proposal> {
    const started = performance.now();
    const { graph, parentId } = await this.graph(i);
    const verdict = await this.backend.screen(graph, this.plan.batchIndependent);
    const candidate: Candidate = {
      id: candidateId(i),
      graph,
      hashes: verdict.hashes,
      parentId,
      sequence: 0n,
      formula: formulaOf(verdict.canonical ?? graph),
      timings: Timings.fromPartial({ screenSeconds: (performance.now() - started) / 1000 }),
      duplicateOf: '',
      createdUnixMs: 0n,
      rungScores: [],
      cost: undefined,
    };
    if (!verdict.accepted) return { kind: 'rejected', candidate: { ...candidate, rejection: verdict.rejection! } };
    const hash = verdict.hashes!.functional;
    return { kind: this.byHash.has(hash) ? 'duplicate' : 'new', candidate, hash };
  }
}
