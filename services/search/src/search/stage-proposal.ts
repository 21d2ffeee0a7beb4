/**
 * Stage 1, proposal: candidate i's graph (a zoo layer, a tournament winner's mutated child, or a
 * random graph, each draw seeded by (search seed, i)), screened by the rejection service's static
 * and probe checks, and matched by functional hash against every earlier candidate so a duplicate
 * reuses its original's outcome. Called in index order; see loop.ts.
 */
import { Timings, graphFromProto, graphToProto, type Candidate, type LayerGraph } from '@evonorm/contracts';
import { Rng, renderFormula, zooLayers } from '@evonorm/graph';
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

  /**
   * Candidate i's graph and parent. A tournament draws from the population as it was once
   * candidates 0 .. i − concurrency had been reported: when a search that runs through proposes
   * candidate i (loop.ts), and what the store answers after a stop and --resume too, so a resumed
   * search proposes what an uninterrupted one would have.
   */
  async graph(i: number): Promise<{ graph: LayerGraph; parentId: string }> {
    const { plan, backend } = this;
    const zooLayer = this.zoo[i];
    if (zooLayer) return { graph: graphToProto(zooLayer.graph), parentId: '' };
    if (plan.strategy === 'evolve' && i >= plan.population) {
      const drawn = await backend.sampleParent(seedFor(plan.seed, i, 'tournament'), Math.max(0, i - plan.concurrency + 1));
      if (drawn && this.mutates(i, drawn.population)) {
        return { graph: await backend.mutate(drawn.parent.graph!, seedFor(plan.seed, i, 'mutation'), plan.batchIndependent), parentId: drawn.parent.id };
      }
    }
    return { graph: await backend.randomGraph(seedFor(plan.seed, i, 'graph'), plan.batchIndependent), parentId: '' };
  }

  /**
   * Whether candidate i (i >= P), with `members` in the population it draws from, is a tournament
   * winner's mutant rather than a random graph. From the zoo: always (the first P candidates, the
   * zoo then random graphs, were the initial population). From random graphs, where about 1 in 130
   * candidates adds a distinct layer, filling P = 12 members first would spend most of a
   * 2,000-candidate search on random search; counting the first P candidates instead left seed 1 of
   * that comparison with one member (tanh) whose mutants were all rejected or duplicates. So while
   * n < P members have entered, candidate i mutates with probability n / P (a draw seeded by
   * (seed, i)) and is a random graph otherwise: evolution starts from the first member and the
   * population keeps filling.
   */
  private mutates(i: number, members: number): boolean {
    if (this.zoo.length > 0 || members >= this.plan.population) return true;
    return Rng.fromSeed(seedFor(this.plan.seed, i, 'start')).float() < members / this.plan.population;
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
