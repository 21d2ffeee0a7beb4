/** The quality test's retries (--quality-tries) and its place as the evaluation's first rung (--quality-rung), against backends that score as told. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArchitectureScore, Candidate, RejectionReason, TrainResult, graphToProto, type TestQualityRequest, type TestQualityResponse, type TrainRequest } from '@evonorm/contracts';
import { zooLayer } from '@evonorm/graph';
import { DEFAULT_PLAN, newStats, planFrom, planFromJson, type SearchBackend, type SearchPlan } from '../src/index.js';
import { evaluationSeed } from '../src/search/seeds.js';
import { evaluationStage } from '../src/search/stage-evaluation.js';
import { rungRequest } from '../src/search/stage-quality-rung.js';
import { qualitySeed, rejectionStage } from '../src/search/stage-rejection.js';
import { stubBackend } from './stub-backend.js';

/** A backend whose quality test scores `accuracy(architecture, attempt)`; attempts are told apart by their seed. */
function qualityBackend(plan: SearchPlan, accuracy: (architecture: string, attempt: number) => number): { backend: SearchBackend; calls: TestQualityRequest[] } {
  const calls: TestQualityRequest[] = [];
  const attemptOf = (seed: bigint): number => [0, 1, 2, 3].find((a) => qualitySeed(plan.seed, a) === seed) ?? -1;
  const testQuality = async (request: TestQualityRequest): Promise<TestQualityResponse> => {
    calls.push(request);
    const architecture = request.architectures[0]!;
    const score = ArchitectureScore.fromPartial({ architecture, accuracy: accuracy(architecture, attemptOf(request.seed)), steps: request.steps, seconds: 1 });
    const accepted = score.accuracy >= request.minAccuracy;
    return {
      accepted,
      scores: [score],
      rejection: accepted ? undefined : { reason: RejectionReason.REJECTION_REASON_LOW_QUALITY, detail: `${architecture}: ${score.accuracy}`, problems: [], scores: [score] },
    };
  };
  return { backend: stubBackend({ testQuality }), calls };
}

const candidate = (): Candidate =>
  Candidate.fromPartial({ id: 'c000001', graph: graphToProto(zooLayer('bn-relu').graph), timings: { screenSeconds: 0, stabilitySeconds: 0, qualitySeconds: 0, evaluationSeconds: 0 } });

const run = (plan: SearchPlan, accuracy: (architecture: string, attempt: number) => number) => {
  const { backend, calls } = qualityBackend(plan, accuracy);
  return rejectionStage(plan, backend, newStats(0), candidate(), new AbortController().signal).then((outcome) => ({ result: outcome.rejected, calls }));
};

describe('quality test tries (--quality-tries) as a separate training (--quality-rung false)', () => {
  const plan = planFrom({ 'stability-steps': '0', 'micro-steps': '0', 'quality-tries': '2', 'quality-rung': 'false', architectures: 'resnet_v2,mobilenet_v2' });

  it('passes a layer that falls short on the first seed but not on the second, trying the second seed only there', async () => {
    const { result, calls } = await run(plan, (a, attempt) => (a === 'mobilenet_v2' && attempt === 0 ? 0.194 : 0.5));
    assert.equal(result, undefined);
    assert.deepEqual(
      calls.map((c) => [c.architectures[0], c.seed]),
      [
        ['resnet_v2', qualitySeed(plan.seed, 0)],
        ['mobilenet_v2', qualitySeed(plan.seed, 0)],
        ['mobilenet_v2', qualitySeed(plan.seed, 1)],
      ],
    );
    assert.notEqual(qualitySeed(plan.seed, 0), qualitySeed(plan.seed, 1));
  });

  it('rejects a layer below the threshold on every try, keeping every try’s score', async () => {
    const { result, calls } = await run(plan, () => 0.1);
    assert.equal(calls.length, 2, 'stops at the first architecture that fails both tries');
    assert.equal(result?.rejection?.reason, RejectionReason.REJECTION_REASON_LOW_QUALITY);
    assert.deepEqual(
      result?.rejection?.scores.map((s) => [s.architecture, s.accuracy]),
      [
        ['resnet_v2', 0.1],
        ['resnet_v2', 0.1],
      ],
    );
  });

  it('tries once with --quality-tries 1, and runs saved before the flag resume with one try', async () => {
    const { result, calls } = await run({ ...plan, qualityTries: 1 }, (_a, attempt) => (attempt === 0 ? 0.1 : 0.9));
    assert.equal(calls.length, 1);
    assert.ok(result?.rejection);
    const { qualityTries: _, ...old } = DEFAULT_PLAN;
    assert.equal(planFromJson({ ...old, seed: '0' }).qualityTries, 1);
    assert.equal(DEFAULT_PLAN.qualityTries, 2);
    assert.throws(() => planFrom({ 'quality-tries': '0' }), /--quality-tries must be an integer in 1\.\.8/);
  });

  it('keeps the first try on the seed every earlier search used', () => {
    assert.equal(qualitySeed(11n), qualitySeed(11n, 0));
  });
});

/**
 * A backend whose trainings score `accuracy(architecture, seed, step)`: a stopped training returns a
 * checkpoint naming where it stopped, a resumed one must continue exactly that checkpoint.
 */
function trainingBackend(accuracy: (architecture: string, seed: bigint, step: number) => number) {
  const calls: TrainRequest[] = [];
  const train = async (request: TrainRequest): Promise<TrainResult> => {
    calls.push(request);
    const architecture = request.config!.architecture;
    const end = request.stopAfterStep || request.config!.steps;
    if (request.resumeFrom) assert.equal(Buffer.from(request.resumeFrom.tensors[0]!.data).toString(), `${architecture}/${request.seed}`, 'resumes its own checkpoint');
    const score = ArchitectureScore.fromPartial({ architecture, accuracy: accuracy(architecture, request.seed, end), steps: end, seconds: end / 10 });
    const checkpoint = request.stopAfterStep ? { step: end, steps: request.config!.steps, tensors: [{ name: 'param.w', data: Buffer.from(`${architecture}/${request.seed}`) }] } : undefined;
    return TrainResult.fromPartial({ score, seconds: end / 10, checkpoint });
  };
  return { backend: stubBackend({ train }), calls };
}

describe('the quality test as the first rung of the evaluation (--quality-rung, the default)', () => {
  const plan = planFrom({ 'stability-steps': '0', 'micro-steps': '0', architectures: 'resnet_v2,mobilenet_v2' });
  const seed0 = evaluationSeed(plan.seed, 0);
  const evaluate = async (accuracy: (architecture: string, seed: bigint, step: number) => number) => {
    const { backend, calls } = trainingBackend(accuracy);
    const outcome = await rejectionStage(plan, backend, newStats(0), candidate(), new AbortController().signal);
    const rung = calls.length;
    const result = outcome.rejected ?? (await evaluationStage(plan, backend, newStats(0), candidate(), new AbortController().signal, outcome.heads));
    return { result, calls, rung };
  };

  it('is on by default and stops evaluation seed 0 at --quality-steps under the evaluation schedule', () => {
    assert.equal(DEFAULT_PLAN.qualityRung, true);
    const request = rungRequest(plan, candidate().graph!, 'resnet_v2', seed0);
    assert.equal(request.stopAfterStep, plan.qualitySteps);
    assert.equal(request.config!.steps, plan.evaluationSteps);
    assert.equal(request.seed, seed0);
    assert.equal(rungRequest({ ...plan, qualitySteps: 200 }, candidate().graph!, 'resnet_v2', seed0).stopAfterStep, 0, 'a rung past the evaluation is the whole training');
  });

  it('continues each architecture from its rung: every step is trained once', async () => {
    const { result, calls, rung } = await evaluate(() => 0.5);
    assert.deepEqual(
      calls.map((c) => [c.config!.architecture, c.seed, c.stopAfterStep, c.resumeFrom?.step ?? 0]),
      [
        ['resnet_v2', seed0, 40, 0],
        ['mobilenet_v2', seed0, 40, 0],
        ['resnet_v2', seed0, 0, 40],
        ['mobilenet_v2', seed0, 0, 40],
      ],
    );
    assert.equal(rung, 2);
    assert.deepEqual(
      result.fitness?.scores.map((s) => [s.architecture, s.steps, s.seconds]),
      [
        ['resnet_v2', 80, 4 + 8],
        ['mobilenet_v2', 80, 4 + 8],
      ],
      'the score is the whole training, its seconds the rung’s and the rest’s',
    );
  });

  it('retries a layer short on seed 0 on the quality seeds, and still continues seed 0', async () => {
    const retry = qualitySeed(plan.seed, 1);
    const { result, calls } = await evaluate((a, seed, step) => (a === 'mobilenet_v2' && seed === seed0 && step === 40 ? 0.19 : 0.5));
    assert.deepEqual(
      calls.map((c) => [c.config!.architecture, c.seed, c.stopAfterStep, c.resumeFrom?.step ?? 0]),
      [
        ['resnet_v2', seed0, 40, 0],
        ['mobilenet_v2', seed0, 40, 0],
        ['mobilenet_v2', retry, 40, 0],
        ['resnet_v2', seed0, 0, 40],
        ['mobilenet_v2', seed0, 0, 40],
      ],
    );
    assert.notEqual(retry, seed0);
    assert.ok(result.fitness);
  });

  it('rejects a layer short on every try, keeping every try’s score', async () => {
    const { result, calls } = await evaluate((a) => (a === 'resnet_v2' ? 0.1 : 0.5));
    assert.equal(calls.length, 2, 'the first architecture decides, on both tries');
    assert.equal(result.rejection?.reason, RejectionReason.REJECTION_REASON_LOW_QUALITY);
    assert.match(result.rejection!.detail, /^resnet_v2: validation accuracy 10\.0% < 20% after 40 steps$/);
    assert.deepEqual(
      result.rejection!.scores.map((s) => [s.architecture, s.accuracy, s.steps]),
      [
        ['resnet_v2', 0.1, 40],
        ['resnet_v2', 0.1, 40],
      ],
    );
  });

  it('trains the other evaluation seeds from scratch', async () => {
    const { backend, calls } = trainingBackend(() => 0.5);
    const twoSeeds = { ...plan, evaluationSeeds: 2 };
    const outcome = await rejectionStage(twoSeeds, backend, newStats(0), candidate(), new AbortController().signal);
    await evaluationStage(twoSeeds, backend, newStats(0), candidate(), new AbortController().signal, outcome.rejected ? new Map() : outcome.heads);
    const seed1 = evaluationSeed(plan.seed, 1);
    assert.deepEqual(
      calls.slice(2).map((c) => [c.config!.architecture, c.seed, c.resumeFrom?.step ?? 0]),
      [
        ['resnet_v2', seed0, 40],
        ['resnet_v2', seed1, 0],
        ['mobilenet_v2', seed0, 40],
        ['mobilenet_v2', seed1, 0],
      ],
    );
  });

  it('scores the rung with batch statistics under --rung-statistics batch, and the continued evaluation in inference form', async () => {
    assert.equal(DEFAULT_PLAN.rungStatistics, 'moving');
    assert.equal(rungRequest(plan, candidate().graph!, 'resnet_v2', seed0).scoreWithBatchStatistics, false);
    const batch = planFrom({ 'stability-steps': '0', 'micro-steps': '0', architectures: 'resnet_v2,mobilenet_v2', 'rung-statistics': 'batch' });
    assert.equal(rungRequest(batch, candidate().graph!, 'resnet_v2', seed0).scoreWithBatchStatistics, true);
    assert.equal(rungRequest({ ...batch, qualitySteps: 200 }, candidate().graph!, 'resnet_v2', seed0).scoreWithBatchStatistics, false, 'a rung that is the whole training is its final score');
    const { backend, calls } = trainingBackend(() => 0.5);
    const outcome = await rejectionStage(batch, backend, newStats(0), candidate(), new AbortController().signal);
    if (outcome.rejected) assert.fail('a layer at 50% passes the rung');
    await evaluationStage(batch, backend, newStats(0), candidate(), new AbortController().signal, outcome.heads);
    assert.deepEqual(
      calls.map((c) => [c.stopAfterStep, c.resumeFrom?.step ?? 0, c.scoreWithBatchStatistics]),
      [
        [40, 0, true],
        [40, 0, true],
        [0, 40, false],
        [0, 40, false],
      ],
    );
    assert.throws(() => planFrom({ 'rung-statistics': 'median' }), /--rung-statistics must be moving or batch/);
    const { rungStatistics: _, ...old } = DEFAULT_PLAN;
    assert.equal(planFromJson({ ...old, seed: '0' }).rungStatistics, 'moving', 'runs saved before the flag resume as they started');
  });

  it('is off for runs saved before it, so they resume as they started', () => {
    const { qualityRung: _, ...old } = DEFAULT_PLAN;
    assert.equal(planFromJson({ ...old, seed: '0' }).qualityRung, false);
    assert.throws(() => planFrom({ 'quality-rung': 'maybe' }), /--quality-rung must be true or false/);
  });
});
