/** Evolution's start: from random graphs, mutants in proportion to the members that have entered until there are P; from the zoo, the first P candidates are the initial population. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Candidate, graphToProto, type LayerGraph } from '@evonorm/contracts';
import { zooLayer, zooLayers } from '@evonorm/graph';
import { planFrom } from '../src/index.js';
import { seedFor } from '../src/search/seeds.js';
import { ProposalStage } from '../src/search/stage-proposal.js';
import { stubBackend } from './stub-backend.js';

const RANDOM = graphToProto(zooLayer('bn-relu').graph);
const MUTANT = graphToProto(zooLayer('evonorm-s0').graph);

/** A backend whose population holds `sizes[k]` members at the k-th tournament, and that records what was drawn and as of which report. */
function proposals(flags: Record<string, string>, sizes: number[]) {
  const drawn: string[] = [];
  const asOf: Array<number | undefined> = [];
  let asked = 0;
  const backend = stubBackend({
    randomGraph: async (seed): Promise<LayerGraph> => {
      drawn.push(`random ${seed}`);
      return RANDOM;
    },
    sampleParent: async (seed, at) => {
      const population = sizes[Math.min(asked++, sizes.length - 1)]!;
      asOf.push(at);
      drawn.push(`tournament ${seed}`);
      return population > 0 ? { parent: Candidate.fromPartial({ id: 'c000001', graph: RANDOM }), population } : undefined;
    },
    mutate: async (_parent, seed): Promise<LayerGraph> => {
      drawn.push(`mutation ${seed}`);
      return MUTANT;
    },
  });
  const plan = planFrom({ population: '3', ...flags });
  return { stage: new ProposalStage(plan, backend, new Map()), drawn, plan, asked: () => asked, asOf };
}

describe('the initial population', () => {
  it('from random graphs: random graphs while the population is empty, mutants once it is full', async () => {
    const { stage, drawn, plan, asked, asOf } = proposals({ 'init-zoo': 'false', concurrency: '2' }, [0, 0, 3]);
    const parents: string[] = [];
    for (let i = 0; i < 7; i++) parents.push((await stage.graph(i)).parentId);
    const seed = (i: number, what: 'graph' | 'tournament' | 'mutation') => String(seedFor(plan.seed, i, what));
    assert.deepEqual(drawn, [
      ...[0, 1, 2].map((i) => `random ${seed(i, 'graph')}`),
      ...[3, 4].flatMap((i) => [`tournament ${seed(i, 'tournament')}`, `random ${seed(i, 'graph')}`]),
      ...[5, 6].flatMap((i) => [`tournament ${seed(i, 'tournament')}`, `mutation ${seed(i, 'mutation')}`]),
    ]);
    assert.deepEqual(parents, ['', '', '', '', '', 'c000001', 'c000001']);
    assert.equal(asked(), 4, 'a tournament for every candidate from P on');
    // Candidate i draws from the population as of the report of candidate i − concurrency (2): i − 1 reports.
    assert.deepEqual(asOf, [2, 3, 4, 5]);
  });

  it('from random graphs: while n of P members have entered, a candidate is a mutant with probability n / P, the same for the same seed', async () => {
    const share = async (members: number, seed: string) => {
      const { stage, drawn } = proposals({ 'init-zoo': 'false', population: '12', seed }, [members]);
      for (let i = 12; i < 612; i++) await stage.graph(i);
      return { mutants: drawn.filter((d) => d.startsWith('mutation')).length / 600, drawn };
    };
    for (const members of [1, 6, 11]) {
      const { mutants } = await share(members, '0');
      // 600 draws: the binomial's standard deviation is at most 0.02.
      assert.ok(Math.abs(mutants - members / 12) < 0.07, `${members} of 12 members: ${mutants} mutants`);
    }
    assert.deepEqual((await share(6, '3')).drawn, (await share(6, '3')).drawn);
  });

  it('from the zoo: the first P candidates are the initial population, whatever entered', async () => {
    const zoo = zooLayers().length;
    const { stage, drawn, asked } = proposals({ population: String(zoo + 2) }, [1]);
    for (let i = 0; i < zoo + 3; i++) await stage.graph(i);
    assert.deepEqual(
      drawn.map((d) => d.split(' ')[0]),
      ['random', 'random', 'tournament', 'mutation'],
    );
    assert.equal(asked(), 1, 'one member of P is enough: the zoo was the initial population');
  });

  it('random search never asks and never mutates', async () => {
    const { stage, drawn, asked } = proposals({ 'init-zoo': 'false', strategy: 'random' }, [3]);
    for (let i = 0; i < 6; i++) await stage.graph(i);
    assert.ok(drawn.every((d) => d.startsWith('random')));
    assert.equal(asked(), 0);
  });
});
