/** Multi-fidelity promotion (promotion.ts) and the ladder's compute accounting (ladder.ts), by hand-computed cases. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArchitectureScore, Candidate, RejectionReason, Timings } from '@evonorm/contracts';
import { DEFAULT_PLAN, planFrom, planFromJson } from '../src/index.js';
import { trainingSeconds } from '../src/search/curves.js';
import { ladderEntry } from '../src/search/ladder-entry.js';
import { ladderSaving, ladderText, ladderTotals } from '../src/search/ladder.js';
import { RungScores, notPromoted, promotionDecision, rungMean } from '../src/search/promotion.js';

const score = (architecture: string, accuracy: number, seconds = 1): ArchitectureScore => ArchitectureScore.fromPartial({ architecture, accuracy, seconds, steps: 40 });
const rung = (a: number, b: number): ArchitectureScore[] => [score('resnet_v2', a), score('mobilenet_v2', b)];

describe('multi-fidelity promotion (--promotion-fraction)', () => {
  const plan = planFrom({ 'promotion-fraction': '0.5', population: '4' });
  const earlier = [0.8, 0.7, 0.6, 0.5, 0.4, 0.3];

  it('promotes a rung score at least the worst of the best half of earlier ones, and no other', () => {
    // Best half of 6: 0.8, 0.7, 0.6; the threshold is 0.6.
    assert.deepEqual(promotionDecision(plan, rungMean(rung(0.6, 0.6)), earlier), { promoted: true, rungMean: 0.6, threshold: 0.6, compared: 6 });
    assert.equal(promotionDecision(plan, rungMean(rung(0.7, 0.49)), earlier).promoted, false);
    assert.equal(promotionDecision({ ...plan, promotionFraction: 0.2 }, rungMean(rung(0.75, 0.75)), earlier).threshold, 0.7, '⌈0.2·6⌉ = 2: the second best');
  });

  it('promotes everything when off, and while fewer earlier scores than a population exist', () => {
    assert.equal(promotionDecision(DEFAULT_PLAN, rungMean(rung(0.1, 0.1)), earlier).promoted, true);
    assert.equal(DEFAULT_PLAN.promotionFraction, 1, 'the main job keeps its behaviour');
    const few = promotionDecision(plan, rungMean(rung(0.1, 0.1)), earlier.slice(0, 3));
    assert.deepEqual([few.promoted, few.threshold], [true, null]);
  });

  it('reports a layer it stops as not_promoted, with its rung scores and why', () => {
    const scores = rung(0.5, 0.4);
    const decision = promotionDecision(plan, rungMean(scores), earlier);
    const c = notPromoted(plan, Candidate.fromPartial({ id: 'c000009', rungScores: scores }), decision);
    assert.equal(c.rejection?.reason, RejectionReason.REJECTION_REASON_NOT_PROMOTED);
    assert.equal(c.rejection?.detail, 'rung score 45.0% after 40 steps is below 60.0%, the worst of the best 50% of 6 earlier rung scores');
    assert.deepEqual(c.rejection?.scores, scores);
  });

  it('compares candidate i only with originals 0 .. i - concurrency that passed the rung', () => {
    const rungs = new RungScores();
    rungs.record(0, Candidate.fromPartial({ rungScores: rung(0.5, 0.7) }));
    rungs.record(1, Candidate.fromPartial({ rungScores: rung(0.9, 0.9), duplicateOf: 'c000000' }));
    rungs.record(2, Candidate.fromPartial({ rejection: { reason: RejectionReason.REJECTION_REASON_LOW_QUALITY } }));
    rungs.record(3, Candidate.fromPartial({ rungScores: rung(0.2, 0.4) }));
    assert.deepEqual(rungs.upTo(2), [0.6]);
    assert.deepEqual(
      rungs.upTo(3).map((x) => x.toFixed(2)),
      ['0.60', '0.30'],
    );
  });

  it('needs the quality rung, and reads back as off from runs saved before it', () => {
    assert.throws(() => planFrom({ 'promotion-fraction': '0' }), /--promotion-fraction must be a fraction in \(0, 1\]/);
    assert.throws(() => planFrom({ 'promotion-fraction': '0.5', 'quality-rung': 'false' }), /--promotion-fraction below 1 needs the quality rung/);
    const { promotionFraction: _, ...old } = DEFAULT_PLAN;
    assert.equal(planFromJson({ ...old, seed: '0' }).promotionFraction, 1);
  });
});

describe('the ladder’s compute', () => {
  const timings = (stability: number, quality: number, evaluation: number, micro = 0): Timings =>
    Timings.fromPartial({ stabilityComputeSeconds: stability, microQualityComputeSeconds: micro, qualityComputeSeconds: quality, evaluationComputeSeconds: evaluation });
  const history = [
    // Screened out: no compute, not counted as screened in.
    Candidate.fromPartial({ rejection: { reason: RejectionReason.REJECTION_REASON_DEAD_OUTPUT }, timings: timings(0, 0, 0) }),
    Candidate.fromPartial({ rejection: { reason: RejectionReason.REJECTION_REASON_UNSTABLE }, timings: timings(2, 0, 0) }),
    Candidate.fromPartial({ rejection: { reason: RejectionReason.REJECTION_REASON_LOW_QUALITY }, timings: timings(2, 10, 0) }),
    // Stopped by the micro-quality rung, the first trained one: its micro training only.
    Candidate.fromPartial({ rejection: { reason: RejectionReason.REJECTION_REASON_LOW_MICRO_QUALITY }, timings: timings(0, 0, 0, 1) }),
    // Evaluated: whole trainings of 20 + 30 s (rung included), of which 20 s after the rung.
    Candidate.fromPartial({ fitness: { scores: [score('resnet_v2', 0.8, 20), score('mobilenet_v2', 0.7, 30)] }, timings: timings(2, 30, 20) }),
    // A duplicate costs nothing and counts nowhere.
    Candidate.fromPartial({ duplicateOf: 'c000003', fitness: { scores: [score('resnet_v2', 0.8, 20)] }, timings: timings(9, 9, 9) }),
  ];

  it('sums each rung and prices the full budget at the mean evaluated layer’s whole training', () => {
    const totals = ladderTotals(history.map(ladderEntry));
    assert.deepEqual(totals, { screenedIn: 4, evaluated: 1, costSeconds: 0, stabilitySeconds: 6, microSeconds: 1, qualitySeconds: 40, evaluationSeconds: 20, fullTrainingSeconds: 50 });
    // Spent 67 s; four screened-in candidates at 50 s each would have cost 200 s.
    assert.deepEqual(ladderSaving(totals), { spent: 67, fullBudget: 200, factor: 200 / 67 });
    assert.equal(ladderText(totals), 'compute: micro 1 s · stability 6 s · quality 40 s · evaluation 20 s · 3.0× less than all 4 at full budget');
    assert.deepEqual(ladderSaving(ladderTotals(history.slice(0, 3).map(ladderEntry))), { spent: 14, fullBudget: null, factor: null });
    assert.doesNotMatch(ladderText(ladderTotals(history.slice(0, 3).map(ladderEntry))), /micro/, 'no micro rung, no micro figure');
  });

  it('says "more" where the ladder cost more than the full budget would have', () => {
    const costly = ladderTotals([
      ...history.map(ladderEntry),
      { screenedIn: false, evaluated: false, costSeconds: 0, stabilitySeconds: 200, microSeconds: 0, qualitySeconds: 0, evaluationSeconds: 0, fullTrainingSeconds: 0 },
    ]);
    // Spent 267 s against 200 s: 267 / 200 = 1.34.
    assert.equal(ladderText(costly), 'compute: micro 1 s · stability 206 s · quality 40 s · evaluation 20 s · 1.3× more than all 4 at full budget');
  });

  it('gives compare’s training seconds: the quality tests and evaluation recorded, else (older runs) the kept scores', () => {
    assert.equal(trainingSeconds(history[4]!), 50);
    assert.equal(trainingSeconds(history[2]!), 10);
    assert.equal(trainingSeconds(history[3]!), 1, 'the micro rung is a training');
    assert.equal(trainingSeconds(history[5]!), 0, 'a duplicate costs nothing');
    assert.equal(trainingSeconds(Candidate.fromPartial({ fitness: { scores: [score('resnet_v2', 0.8, 7)] } })), 7);
  });
});
