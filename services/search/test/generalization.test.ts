import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Candidate } from '@evonorm/contracts';
import { generalization, pooledGeneralization } from '../src/search/generalization.js';

/** An evaluated layer with these accuracies on resnet_v2 and mobilenet_v2 at `steps` steps. */
function layer(id: number, resnet: number, mobilenet: number, steps = 80): Candidate {
  return Candidate.fromPartial({
    id: `c${id}`,
    fitness: {
      meanAccuracy: (resnet + mobilenet) / 2,
      scores: [
        { architecture: 'resnet_v2', accuracy: resnet, steps },
        { architecture: 'mobilenet_v2', accuracy: mobilenet, steps },
      ],
    },
  });
}

describe('generalization across architectures', () => {
  it('counts the layers in the top quarter on one proxy that are in the bottom half on the other', () => {
    // 8 layers: the top quarter is the 2 best on each. c0 is best on ResNet and worst on MobileNet
    // (a flip); c1 is second on both; c7 is best on MobileNet and 6th on ResNet (a flip).
    const history = [layer(0, 0.9, 0.1), layer(1, 0.8, 0.8), layer(2, 0.7, 0.5), layer(3, 0.6, 0.6), layer(4, 0.5, 0.4), layer(5, 0.4, 0.3), layer(6, 0.2, 0.2), layer(7, 0.3, 0.9)];
    assert.deepEqual(generalization(history), { architectures: ['resnet_v2', 'mobilenet_v2'], layers: 8, topQuarter: 3, flips: 2 });
  });

  it('leaves out duplicates, rejected layers and short-budget scores, and needs 4 layers', () => {
    const history = [layer(0, 0.9, 0.9), layer(1, 0.8, 0.8), layer(2, 0.7, 0.7), layer(3, 0.6, 0.6, 20), Candidate.fromPartial({ id: 'r' }), { ...layer(4, 0.1, 0.99), duplicateOf: 'c0' }];
    assert.equal(generalization(history), undefined);
    const g = generalization([...history, layer(5, 0.5, 0.5)])!;
    assert.deepEqual([g.layers, g.topQuarter, g.flips], [4, 1, 0]);
  });

  it('pools an arm over its seeds', () => {
    const a = { architectures: ['resnet_v2', 'mobilenet_v2'] as const, layers: 8, topQuarter: 3, flips: 2 };
    assert.deepEqual(pooledGeneralization([a, undefined, { ...a, flips: 0 }]), { ...a, layers: 16, topQuarter: 6, flips: 2 });
    assert.equal(pooledGeneralization([undefined]), undefined);
  });
});
