/** The quality test's retries (--quality-tries), against a backend that scores each quality seed as told. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArchitectureScore, Candidate, RejectionReason, graphToProto, type TestQualityRequest, type TestQualityResponse } from '@evonorm/contracts';
import { zooLayer } from '@evonorm/graph';
import { DEFAULT_PLAN, newStats, planFrom, planFromJson, type SearchBackend, type SearchPlan } from '../src/index.js';
import { qualitySeed, rejectionStage } from '../src/search/stage-rejection.js';

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
  const unused = (): never => {
    throw new Error('not used by the rejection stage');
  };
  const backend: SearchBackend = {
    getSearch: unused,
    randomGraph: unused,
    mutate: unused,
    sampleParent: unused,
    screen: unused,
    testStability: unused,
    testQuality,
    train: unused,
    report: unused,
    history: unused,
    replicas: () => [],
    close: () => {},
  };
  return { backend, calls };
}

const candidate = (): Candidate =>
  Candidate.fromPartial({ id: 'c000001', graph: graphToProto(zooLayer('bn-relu').graph), timings: { screenSeconds: 0, stabilitySeconds: 0, qualitySeconds: 0, evaluationSeconds: 0 } });

const run = (plan: SearchPlan, accuracy: (architecture: string, attempt: number) => number) => {
  const { backend, calls } = qualityBackend(plan, accuracy);
  return rejectionStage(plan, backend, newStats(0), candidate(), new AbortController().signal).then((result) => ({ result, calls }));
};

describe('quality test tries (--quality-tries)', () => {
  const plan = planFrom({ 'stability-steps': '0', 'quality-tries': '2', architectures: 'resnet_v2,mobilenet_v2' });

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
