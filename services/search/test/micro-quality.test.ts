/** The micro-quality rung (--micro-steps): its training request, its verdicts and its place in the ladder, against a backend that scores as told. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArchitectureScore, Candidate, RejectionReason, TrainResult, TrainingFailure, graphToProto, type TrainRequest } from '@evonorm/contracts';
import { zooLayer } from '@evonorm/graph';
import { DEFAULT_PLAN, newStats, planFrom, planFromJson, type SearchBackend, type SearchPlan } from '../src/index.js';
import { seedFor } from '../src/search/seeds.js';
import { MICRO_DOWNSAMPLE, microRequest } from '../src/search/stage-micro-quality.js';
import { rejectionStage } from '../src/search/stage-rejection.js';
import { stubBackend } from './stub-backend.js';

type Answer = { readonly accuracy: number; readonly failure?: TrainingFailure };

/** Trainings answer `micro` when downsampled (the micro rung), else `proxy` (the quality rung). */
function backend(micro: Answer, proxy = 0.5): { backend: SearchBackend; calls: TrainRequest[] } {
  const calls: TrainRequest[] = [];
  const train = async (request: TrainRequest): Promise<TrainResult> => {
    calls.push(request);
    const isMicro = request.config!.downsample > 1;
    const answer = isMicro ? micro : { accuracy: proxy };
    const steps = request.stopAfterStep || request.config!.steps;
    const failure = answer.failure ?? TrainingFailure.TRAINING_FAILURE_UNSPECIFIED;
    return TrainResult.fromPartial({
      score: ArchitectureScore.fromPartial({ architecture: request.config!.architecture, accuracy: answer.accuracy, steps, seconds: isMicro ? 0.5 : 4 }),
      seconds: isMicro ? 0.5 : 4,
      failure,
      failureDetail: failure === TrainingFailure.TRAINING_FAILURE_UNSPECIFIED ? '' : 'loss is NaN at step 3',
    });
  };
  return { calls, backend: stubBackend({ train }) };
}

const candidate = (): Candidate =>
  Candidate.fromPartial({ id: 'c000004', graph: graphToProto(zooLayer('evonorm-s0').graph), timings: { screenSeconds: 0, stabilitySeconds: 0, qualitySeconds: 0, evaluationSeconds: 0 } });

const run = async (plan: SearchPlan, micro: Answer) => {
  const { backend: b, calls } = backend(micro);
  const stats = newStats(0);
  const c = candidate();
  const outcome = await rejectionStage(plan, b, stats, c, new AbortController().signal);
  return { outcome, calls, timings: c.timings!, stats };
};

describe('the micro-quality rung (--micro-steps)', () => {
  const plan = planFrom({ 'stability-steps': '0', 'micro-steps': '30', 'micro-min-accuracy': '0.15', architectures: 'mobilenet_v2,resnet_v2', width: 'mobilenet_v2=0.25,resnet_v2=1' });

  it('trains the first architecture at its proxy size on images at half resolution, one seed for every candidate', () => {
    const request = microRequest(plan, candidate().graph!);
    assert.equal(request.config!.architecture, 'mobilenet_v2');
    assert.equal(request.config!.widthMultiplier, 0.25);
    assert.equal(request.config!.downsample, MICRO_DOWNSAMPLE);
    assert.equal(request.config!.steps, 30);
    assert.equal(request.stopAfterStep, 0);
    assert.equal(request.seed, seedFor(plan.seed, -1, 'micro'));
    assert.equal(microRequest(plan, graphToProto(zooLayer('bn-relu').graph)).seed, request.seed);
  });

  it('rejects a layer below --micro-min-accuracy before any proxy training, recording its compute', async () => {
    const { outcome, calls, timings } = await run(plan, { accuracy: 0.11 });
    assert.equal(calls.length, 1, 'no quality test after a micro rejection');
    assert.equal(outcome.rejected?.rejection?.reason, RejectionReason.REJECTION_REASON_LOW_MICRO_QUALITY);
    assert.equal(outcome.rejected?.rejection?.detail, 'micro-quality rung (mobilenet_v2 at 1/2 resolution, 30 steps): validation accuracy 11.0% < 15%');
    assert.equal(timings.microQualityComputeSeconds, 0.5);
    assert.ok(timings.microQualitySeconds > 0);
    assert.equal(timings.qualityComputeSeconds, 0);
  });

  it('rejects a layer whose micro training fails, with the trainer’s reason', async () => {
    const { outcome } = await run(plan, { accuracy: 0.9, failure: TrainingFailure.TRAINING_FAILURE_NON_FINITE_LOSS });
    assert.equal(outcome.rejected?.rejection?.reason, RejectionReason.REJECTION_REASON_LOW_MICRO_QUALITY);
    assert.match(outcome.rejected!.rejection!.detail, /: loss is NaN at step 3$/);
  });

  it('passes a layer at the threshold on to the quality test', async () => {
    const { outcome, calls, timings, stats } = await run(plan, { accuracy: 0.15 });
    assert.equal(outcome.rejected, undefined);
    assert.deepEqual(
      calls.map((c) => [c.config!.architecture, c.config!.downsample]),
      [
        ['mobilenet_v2', MICRO_DOWNSAMPLE],
        ['mobilenet_v2', 0],
        ['resnet_v2', 0],
      ],
    );
    assert.equal(timings.qualityComputeSeconds, 8);
    assert.equal(stats.stages.micro, 0, 'left the stage');
  });

  it('is skipped with --micro-steps 0, and off in runs saved before it', async () => {
    const { calls } = await run({ ...plan, microSteps: 0 }, { accuracy: 0 });
    assert.ok(calls.every((c) => c.config!.downsample === 0));
    const { microSteps: _, ...old } = DEFAULT_PLAN;
    assert.equal(planFromJson({ ...old, seed: '0' }).microSteps, 0);
    assert.ok(DEFAULT_PLAN.microSteps > 0, 'on in the main job');
    assert.throws(() => planFrom({ 'micro-steps': '-1' }), /--micro-steps must be an integer in 0\.\.10000/);
    assert.throws(() => planFrom({ 'micro-min-accuracy': '1.5' }), /--micro-min-accuracy must be in \[0, 1\]/);
  });
});
