import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareArms, parseVary } from '../src/search/compare-arms.js';
import { PlanError } from '../src/search/plan.js';

describe('compare arms (--vary)', () => {
  it('are the strategies alone without --vary, named and foldered as before', () => {
    assert.deepEqual(compareArms(['evolve', 'random'], undefined, { population: '8' }), [
      { name: 'evolve', strategy: 'evolve', flags: [] },
      { name: 'random', strategy: 'random', flags: [] },
    ]);
  });

  it('are each strategy under each value of the varied flag, strategy-major', () => {
    const arms = compareArms(['evolve', 'random'], parseVary('adaptive-seeds=0,5'), { 'evaluation-seeds': '1' });
    assert.deepEqual(
      arms.map((a) => [a.name, a.strategy, a.flags]),
      [
        ['evolve-adaptive-seeds0', 'evolve', ['--adaptive-seeds', '0']],
        ['evolve-adaptive-seeds5', 'evolve', ['--adaptive-seeds', '5']],
        ['random-adaptive-seeds0', 'random', ['--adaptive-seeds', '0']],
        ['random-adaptive-seeds5', 'random', ['--adaptive-seeds', '5']],
      ],
    );
    // Values that are not folder-safe are rendered so.
    assert.deepEqual(
      compareArms(['evolve'], parseVary('--width=resnet_v2=1,0.5'), {}).map((a) => a.name),
      ['evolve-widthresnet_v2-1', 'evolve-width0.5'],
    );
  });

  it('reject what cannot be compared, naming the problem, before any search runs', () => {
    const fails = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e: unknown) => e instanceof PlanError && pattern.test(e.message));
    fails(() => parseVary('adaptive-seeds'), /FLAG=VALUE,VALUE/);
    fails(() => parseVary('adaptive-seeds=5'), /at least two/);
    fails(() => parseVary('adaptive-seeds=5,'), /at least two non-empty/);
    fails(() => parseVary('adaptive-seeds=5,5'), /must differ/);
    fails(() => parseVary('colour=red,blue'), /not a search flag that can vary/);
    fails(() => parseVary('seed=1,2'), /not a search flag that can vary/);
    fails(() => parseVary('candidates=10,20'), /not a search flag that can vary/);
    fails(() => compareArms(['evolve'], parseVary('adaptive-seeds=0,5'), { 'adaptive-seeds': '3' }), /both given/);
    // Each arm's plan is validated with the shared flags: 1 is not more than --evaluation-seeds 1.
    fails(() => compareArms(['evolve'], parseVary('adaptive-seeds=0,1'), {}), /--vary adaptive-seeds=1: --adaptive-seeds must be 0 \(off\)/);
    fails(() => compareArms(['evolve'], parseVary('adaptive-seeds=0,3'), { 'evaluation-seeds': '3' }), /adaptive-seeds=3/);
    fails(() => compareArms(['evolve'], parseVary('width=a b,a-b'), {}), /--vary width=a b/);
  });
});
