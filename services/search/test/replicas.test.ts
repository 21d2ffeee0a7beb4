import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlacementError, placeReplicas, visibleGpus } from '../src/search/replicas.js';

describe('training replica placement', () => {
  it('on the CPU keeps --replicas and --threads-per-replica (rejection gets as many threads)', () => {
    assert.deepEqual(placeReplicas({ ep: 'cpu', cores: 16, replicas: 8, threadsPerReplica: 2 }), { ep: 'cpu', replicas: 8, threadsPerReplica: 2, rejectionThreads: 2 });
  });

  it('with CUDA puts --replicas-per-gpu on every GPU, each with its device, and splits the cores', () => {
    const p = placeReplicas({ ep: 'cuda', cores: 16, replicas: 16, threadsPerReplica: 1, gpus: 2, replicasPerGpu: 2 });
    assert.deepEqual(p.devices, [0, 0, 1, 1]);
    assert.equal(p.replicas, 4);
    assert.equal(p.threadsPerReplica, 2, 'half the 16 cores over 4 replicas');
    assert.equal(p.rejectionThreads, 8, 'screening and stability keep the rest');
    const one = placeReplicas({ ep: 'cuda', cores: 2, replicas: 2, threadsPerReplica: 1, gpus: 4, device: 3 });
    assert.deepEqual(one.devices, [3, 3], 'default 2 per GPU, --device alone');
    assert.equal(one.threadsPerReplica, 1);
    assert.equal(one.rejectionThreads, 1, 'at least one thread everywhere');
  });

  it('refuses CUDA without a visible GPU, and a --device that is not visible', () => {
    assert.throws(
      () => placeReplicas({ ep: 'cuda', cores: 4, replicas: 1, threadsPerReplica: 1, gpus: 0 }),
      (e: unknown) => e instanceof PlacementError && /no GPU is visible/.test(e.message),
    );
    assert.throws(() => placeReplicas({ ep: 'cuda', cores: 4, replicas: 1, threadsPerReplica: 1, gpus: 2, device: 2 }), /--device 2: only 2 GPU\(s\) are visible/);
  });

  it('counts GPUs from CUDA_VISIBLE_DEVICES first, else nvidia-smi -L, else none', () => {
    const smi = (): string => 'GPU 0: NVIDIA H200 (UUID: GPU-1)\nGPU 1: NVIDIA H200 (UUID: GPU-2)\n';
    assert.equal(visibleGpus({ CUDA_VISIBLE_DEVICES: '2,3,5' }, smi), 3);
    assert.equal(visibleGpus({ CUDA_VISIBLE_DEVICES: '' }, smi), 0);
    assert.equal(visibleGpus({ CUDA_VISIBLE_DEVICES: '0,-1,1' }, smi), 1, 'ids after -1 are hidden');
    assert.equal(visibleGpus({}, smi), 2);
    assert.equal(
      visibleGpus({}, () => {
        throw new Error('nvidia-smi: not found');
      }),
      0,
    );
  });
});
