/**
 * Resumable training: a training stopped at step k and resumed from its checkpoint is the same
 * training as one run straight through (same losses bit for bit, same score), on both engines;
 * a checkpoint that belongs to another training is refused with a clear message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { syntheticDataset } from '@evonorm/data';
import { zooLayer } from '@evonorm/graph';
import { resnetV2 } from '@evonorm/nets';
import { CheckpointMismatchError, train, type TrainOptions } from '../src/index.js';

const tiny = syntheticDataset({ seed: 3, shape: [1, 12, 12], train: 400, test: 100 });
const network = resnetV2({ input: [1, 12, 12], width: 0.5 });

function options(engine: 'onnx' | 'tfjs', layer = 'evonorm-b0'): TrainOptions {
  // EvoNorm-B0 has batch statistics, so the moving averages are part of what must carry over.
  return { network, layer: zooLayer(layer).graph, dataset: tiny, steps: 7, batchSize: 8, seed: 11, validationExamples: 50, engine, warmupSteps: 2 };
}

describe('resuming a training from its checkpoint', () => {
  for (const engine of ['onnx', 'tfjs'] as const) {
    it(`${engine}: stopped after 3 of 7 steps and resumed equals 7 steps straight through`, { timeout: 300_000 }, async () => {
      const straight = await train(options(engine));
      const head = await train({ ...options(engine), stopAfter: 3 });
      assert.equal(head.failure, undefined);
      assert.equal(head.steps, 3);
      assert.deepEqual(head.lossCurve, straight.lossCurve.slice(0, 3));
      assert.ok(head.checkpoint, 'a stopped training returns its checkpoint');
      assert.equal(head.checkpoint.step, 3);
      assert.equal(head.checkpoint.steps, 7);
      assert.ok(
        [...head.checkpoint.tensors.keys()].some((name) => name.startsWith('state.')),
        'moving statistics are saved',
      );
      assert.ok(head.evaluatedExamples > 0 && head.accuracy > 0, 'the rung is scored');
      const tail = await train({ ...options(engine), resume: head.checkpoint });
      assert.equal(tail.steps, 7);
      assert.equal(tail.checkpoint, undefined, 'a finished training has nothing to resume');
      assert.deepEqual(tail.lossCurve, straight.lossCurve.slice(3), 'the same losses, bit for bit');
      assert.equal(tail.accuracy, straight.accuracy);
      assert.equal(tail.loss, straight.loss);
    });
  }

  it('a checkpoint carries across engines (the same names), within float32 parity', { timeout: 300_000 }, async () => {
    const head = await train({ ...options('onnx'), stopAfter: 3 });
    const onnx = await train({ ...options('onnx'), resume: head.checkpoint! });
    const tfjs = await train({ ...options('tfjs'), resume: head.checkpoint! });
    onnx.lossCurve.forEach((loss, i) => assert.ok(Math.abs(loss - tfjs.lossCurve[i]!) <= 1e-3 * Math.abs(loss), `step ${3 + i}: onnx ${loss}, tfjs ${tfjs.lossCurve[i]}`));
  });

  it('stops twice and resumes twice to the same end', { timeout: 300_000 }, async () => {
    const straight = await train(options('onnx'));
    const a = await train({ ...options('onnx'), stopAfter: 2 });
    const b = await train({ ...options('onnx'), resume: a.checkpoint!, stopAfter: 5 });
    const c = await train({ ...options('onnx'), resume: b.checkpoint! });
    assert.deepEqual([...a.lossCurve, ...b.lossCurve, ...c.lossCurve], straight.lossCurve);
    assert.equal(c.accuracy, straight.accuracy);
  });

  it('refuses a checkpoint of another schedule, layer or step, and a stop outside the schedule', { timeout: 300_000 }, async () => {
    const head = await train({ ...options('onnx'), stopAfter: 3 });
    const checkpoint = head.checkpoint!;
    await assert.rejects(
      train({ ...options('onnx'), steps: 9, resume: checkpoint }),
      (e: Error) => e instanceof CheckpointMismatchError && /the checkpoint's steps must equal the training's steps \(9\): it comes from a schedule of 7 steps/.test(e.message),
    );
    await assert.rejects(train({ ...options('onnx', 'bn-relu'), resume: checkpoint }), (e: Error) => e instanceof CheckpointMismatchError && /another network or layer/.test(e.message));
    await assert.rejects(train({ ...options('onnx'), resume: { ...checkpoint, step: 0 } }), /stopAfter must be an integer in \[1, 7\]|the checkpoint's step must be in \[1, 6\]/);
    const truncated = new Map(checkpoint.tensors);
    const [name, value] = [...truncated][0]!;
    truncated.set(name, value.subarray(1));
    await assert.rejects(train({ ...options('onnx'), resume: { ...checkpoint, tensors: truncated } }), (e: Error) => e instanceof CheckpointMismatchError && e.message.includes(name));
    await assert.rejects(train({ ...options('onnx'), stopAfter: 8 }), /stopAfter must be an integer in \[1, 7\]/);
    await assert.rejects(train({ ...options('onnx'), resume: checkpoint, stopAfter: 3 }), /stopAfter must be an integer in \[4, 7\]/);
  });
});
