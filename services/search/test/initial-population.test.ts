/** Evolution's start: from random graphs, mutants in proportion to the members that have entered until there are P; from the zoo, the first P candidates are the initial population. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Candidate, GetSearchResponse, graphToProto, type LayerGraph } from '@evonorm/contracts';
import { zooLayer, zooLayers } from '@evonorm/graph';
import { planFrom } from '../src/index.js';
import { seedFor } from '../src/search/seeds.js';
import { ProposalStage } from '../src/search/stage-proposal.js';
import { stubBackend } from './stub-backend.js';

const RANDOM = graphToProto(zooLayer('bn-relu').graph);
const MUTANT = graphToProto(zooLayer('evonorm-s0').graph);

/** A backend whose population holds `sizes[k]` members at the k-th question, and that records what was drawn. */
function proposals(flags: Record<string, string>, sizes: number[]) {
  const drawn: string[] = [];
  let asked = 0;
  const backend = stubBackend({
    getSearch: async () => GetSearchResponse.fromPartial({ population: sizes[Math.min(asked++, sizes.length - 1)] }),
    randomGraph: async (seed): Promise<LayerGraph> => {
      drawn.push(`random ${seed}`);
      return RANDOM;
    },
    sampleParent: async (seed) => {
      drawn.push(`tournament ${seed}`);
      return Candidate.fromPartial({ id: 'c000001', graph: RANDOM });
    },
    mutate: async (_parent, seed): Promise<LayerGraph> => {
      drawn.push(`mutation ${seed}`);
      return MUTANT;
    },
  });
  const plan = planFrom({ population: '3', ...flags });
  return { stage: new ProposalStage(plan, backend, new Map()), drawn, plan, asked: () => asked };
}

describe('the initial population', () => {
  it('from random graphs: random graphs while the population is empty, mutants once it is full, and no more questions then', async () => {
    const { stage, drawn, plan, asked } = proposals({ 'init-zoo': 'false' }, [0, 0, 3]);
    const parents: string[] = [];
    for (let i = 0; i < 7; i++) parents.push((await stage.graph(i)).parentId);
    const seed = (i: number, what: 'graph' | 'tournament' | 'mutation') => String(seedFor(plan.seed, i, what));
    assert.deepEqual(drawn, [...[0, 1, 2, 3, 4].map((i) => `random ${seed(i, 'graph')}`), ...[5, 6].flatMap((i) => [`tournament ${seed(i, 'tournament')}`, `mutation ${seed(i, 'mutation')}`])]);
    assert.deepEqual(parents, ['', '', '', '', '', 'c000001', 'c000001']);
    assert.equal(asked(), 3, 'asked at candidates 3, 4 and 5, not once the population was full');
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
    const { stage, drawn, asked } = proposals({ population: String(zoo + 2) }, [0]);
    for (let i = 0; i < zoo + 3; i++) await stage.graph(i);
    assert.deepEqual(
      drawn.map((d) => d.split(' ')[0]),
      ['random', 'random', 'tournament', 'mutation'],
    );
    assert.equal(asked(), 0);
  });

  it('random search never asks and never mutates', async () => {
    const { stage, drawn, asked } = proposals({ 'init-zoo': 'false', strategy: 'random' }, [3]);
    for (let i = 0; i < 6; i++) await stage.graph(i);
    assert.ok(drawn.every((d) => d.startsWith('random')));
    assert.equal(asked(), 0);
  });
});
