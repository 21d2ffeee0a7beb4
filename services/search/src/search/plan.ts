/**
 * What a search does, as one validated object: the method's parameters (population, tournament,
 * criterion, strategy), the proxy training schedule, the budget and the concurrency. Saved as
 * search.json in the run folder, so `--resume` continues with exactly the same plan (the seed, a
 * uint64, as a decimal string there: see toJson).
 */
import { MAX_SEED, parseSeed } from '@evonorm/graph';
import { ARCHITECTURES, isArchitecture } from '@evonorm/nets';

export const STRATEGIES = ['evolve', 'random'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const CRITERIA = ['average', 'pareto'] as const;
export type Criterion = (typeof CRITERIA)[number];
export const OBJECTIVES = ['accuracy', 'cost'] as const;
export type ObjectiveName = (typeof OBJECTIVES)[number];
export const DATASETS = ['fashion_mnist', 'cifar10', 'synthetic'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** A multiplier for every architecture, or one per architecture. */
export type Scale = number | Readonly<Record<string, number>>;

/** The multiplier of `architecture` (1 when a per-architecture scale does not name it). */
export function scaleFor(scale: Scale, architecture: string): number {
  return typeof scale === 'number' ? scale : (scale[architecture] ?? 1);
}

/** "0.5" or "resnet_v2=0.5,mobilenet_v2=0.25". */
export function parseScale(text: string): Scale {
  if (!text.includes('=')) return Number(text);
  return Object.fromEntries(
    text.split(',').map((pair) => {
      const [name, value] = pair.split('=');
      return [name!.trim(), Number(value)];
    }),
  );
}

export function scaleText(scale: Scale): string {
  return typeof scale === 'number'
    ? String(scale)
    : Object.entries(scale)
        .map(([a, v]) => `${a}=${v}`)
        .join(',');
}

export const ENGINES = ['auto', 'onnx', 'tfjs'] as const;
export type EngineChoice = (typeof ENGINES)[number];

export interface SearchPlan {
  /** Any uint64 (what another language's client may draw); see seedFor. */
  readonly seed: bigint;
  /** Training engine of the quality tests and evaluations (auto: each replica's default). */
  readonly engine: EngineChoice;
  /** evolve: regularized evolution; random: random graphs through the same pipeline (the paper's baseline). */
  readonly strategy: Strategy;
  readonly population: number;
  readonly tournamentFraction: number;
  readonly criterion: Criterion;
  /**
   * What a tournament compares: accuracy (the criterion's), and with cost the inference cost ratio
   * too (the winner is drawn from the members no other beats on both; needs measureCost).
   */
  readonly objectives: readonly ObjectiveName[];
  readonly batchIndependent: boolean;
  /**
   * Start the initial population with the zoo (BN-ReLU, GN-ReLU, EvoNorm-B0/B1/B2/S0/S1/S2), then
   * random graphs. On by default so that a short search has working layers to mutate; the paper
   * starts from random graphs only (--init-zoo false).
   */
  readonly initZoo: boolean;
  readonly architectures: readonly string[];
  readonly dataset: DatasetName;
  /** Stop after this many candidates (0: no limit). */
  readonly candidates: number;
  /** Stop generating after this many minutes and finish what is in flight (0: no limit). */
  readonly minutes: number;
  /** Candidates in flight. Part of the search's identity: a parent is drawn from the population after candidate i - concurrency was reported. */
  readonly concurrency: number;
  /** Adversarial ascent steps of the stability test (0: skip it). */
  readonly stabilitySteps: number;
  /**
   * Training steps of the micro-quality rung (0: skip it): the first architecture's proxy on
   * images at half resolution, the first trained rung (before the stability test, which costs
   * about 4× more); a layer below microMinAccuracy, or whose loss stops being finite or diverges,
   * is rejected low_micro_quality (stage-micro-quality.ts; calibrated by search:bench-ladder).
   */
  readonly microSteps: number;
  readonly microMinAccuracy: number;
  /** Training steps of the quality test per architecture (0: skip it). */
  readonly qualitySteps: number;
  readonly minAccuracy: number;
  /** Seeds a layer below minAccuracy on an architecture is tried on before it is rejected (1: no retry). */
  readonly qualityTries: number;
  /**
   * The quality test as the first rung of the evaluation: the first qualitySteps of evaluation seed
   * 0's training on each architecture, scored there and continued from its checkpoint when the layer
   * passes, so that no layer is trained from scratch twice (stage-quality-rung.ts). false: a separate
   * qualitySteps-step training on the quality seeds, then the evaluation from scratch (runs from
   * before the rung read back as false, so they resume as they started).
   */
  readonly qualityRung: boolean;
  /**
   * How the quality rung scores a layer (with qualityRung, where the rung stops before the end):
   * 'moving', in inference form with the moving averages, as the final score; or 'batch', every
   * batch statistic (the layer's, the proxies' plain BatchNorms) taken from the validation batch
   * itself. Halfway through the schedule moving averages lag the weights, which scores layers with
   * batch statistics low and made promotion drop them (docs/experiments.md). The final score is
   * always in inference form.
   */
  readonly rungStatistics: 'moving' | 'batch';
  /**
   * Multi-fidelity (needs qualityRung): a layer that passes the rung continues to the full budget
   * only when its rung score is among the best promotionFraction of earlier candidates' (ASHA's
   * 1/η; promotion.ts); the rest are reported not_promoted. 1: every layer continues.
   */
  readonly promotionFraction: number;
  /** Training steps of the full evaluation per architecture. */
  readonly evaluationSteps: number;
  /** Training seeds of the full evaluation per architecture (fitness: their mean; every seed's score is kept). */
  readonly evaluationSeeds: number;
  /**
   * Most seeds a candidate that might lead the search gets (0: off); it gains one seed at a time
   * until its mean's 95% half-width is at most adaptiveHalfWidth. See stage-adaptive.ts.
   */
  readonly adaptiveSeeds: number;
  /** Target half-width of the mean's 95% interval under adaptiveSeeds, as a fraction (0.015: 1.5 points). */
  readonly adaptiveHalfWidth: number;
  readonly batchSize: number;
  /** Width multiplier of the proxies: one for all, or per architecture. */
  readonly width: Scale;
  /** Depth (block-count) multiplier: one for all, or per architecture. */
  readonly depth: Scale;
  readonly learningRate: number;
  readonly validationExamples: number;
  /**
   * Time every evaluated layer's optimized ONNX export against BN-ReLU on a training replica
   * (Candidate.cost; stage-cost.ts). Runs saved before it read back as false.
   */
  readonly measureCost: boolean;
  /**
   * The cost rung (0: off): before any training, a layer whose inference cost is above this many
   * times BN-ReLU's is rejected too_slow (stage-cost.ts); its measured cost is kept for the rest of
   * the ladder. Needs measureCost.
   */
  readonly maxCostRatio: number;
}

/** The main job's defaults: a small real search on Fashion-MNIST, about 12 minutes on 2 cores. */
export const DEFAULT_PLAN: SearchPlan = {
  seed: 0n,
  engine: 'auto',
  strategy: 'evolve',
  population: 12,
  tournamentFraction: 0.25,
  criterion: 'average',
  objectives: ['accuracy'],
  batchIndependent: false,
  initZoo: true,
  architectures: ['resnet_v2', 'mobilenet_v2'],
  dataset: 'fashion_mnist',
  candidates: 0,
  minutes: 12,
  concurrency: 6,
  stabilitySteps: 10,
  microSteps: 30,
  microMinAccuracy: 0.15,
  qualitySteps: 40,
  minAccuracy: 0.2,
  // 2, not 1: one 40-step seed is noisy near the threshold. With search seed 2 BN-ReLU scored 19.4%
  // on MobileNetV2 and was rejected (docs/experiments.md, "Evolution versus random search").
  qualityTries: 2,
  qualityRung: true,
  // Moving averages, though they scored BN-ReLU below --min-accuracy on its first rung try: batch
  // statistics let through layers that are constant at inference (docs/experiments.md, 2026-12-07).
  rungStatistics: 'moving',
  promotionFraction: 1,
  evaluationSteps: 80,
  evaluationSeeds: 1,
  // Off in the 12-minute main job: a 1.5-point interval takes about 16 seeds here (one seed's mean
  // varies by 2-3 points), and even 8 seeds per contender spent all 12 minutes on the zoo's
  // contenders (docs/experiments.md, "Fidelity"). Turn it on for longer searches.
  adaptiveSeeds: 0,
  adaptiveHalfWidth: 0.015,
  batchSize: 32,
  // ResNet at width 1 (stages of 16/32/64 channels): at 0.5 the last stage has 32 channels, so
  // GroupNorm's 32 groups are single channels. It then normalizes each channel's mean away right
  // before global average pooling and GN-ReLU stays at chance for 160 steps (docs/experiments.md, "Fidelity").
  width: { resnet_v2: 1, mobilenet_v2: 0.25, efficientnet_b0: 0.25 },
  depth: { resnet_v2: 0.34, mobilenet_v2: 0.25, efficientnet_b0: 0.25 },
  learningRate: 0.1,
  // 1,000, not 500: the binomial sd of one accuracy near 70% falls from 2.0 to 1.4 points.
  validationExamples: 1000,
  measureCost: true,
  maxCostRatio: 0,
};

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

function check(ok: boolean, field: string, rule: string, value: unknown): void {
  if (!ok) throw new PlanError(`--${field} ${rule}, got ${JSON.stringify(value)}`);
}

const isInt = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi;

/** Validates a plan, naming the flag of the first problem. */
export function validatePlan(plan: SearchPlan): SearchPlan {
  check(typeof plan.seed === 'bigint' && plan.seed >= 0n && plan.seed <= MAX_SEED, 'seed', `must be an integer in [0, 2^64 - 1 = ${MAX_SEED}]`, String(plan.seed));
  check((ENGINES as readonly string[]).includes(plan.engine), 'engine', `must be one of ${ENGINES.join(', ')}`, plan.engine);
  check((STRATEGIES as readonly string[]).includes(plan.strategy), 'strategy', `must be one of ${STRATEGIES.join(', ')}`, plan.strategy);
  check(isInt(plan.population, 1, 1_000_000), 'population', 'must be an integer in 1..1000000', plan.population);
  check(plan.tournamentFraction > 0 && plan.tournamentFraction <= 1, 'tournament-fraction', 'must be in (0, 1]', plan.tournamentFraction);
  check((CRITERIA as readonly string[]).includes(plan.criterion), 'criterion', `must be one of ${CRITERIA.join(', ')}`, plan.criterion);
  check(
    plan.objectives.every((o) => (OBJECTIVES as readonly string[]).includes(o)) && plan.objectives.includes('accuracy') && new Set(plan.objectives).size === plan.objectives.length,
    'objectives',
    'must be accuracy or accuracy,cost',
    plan.objectives.join(','),
  );
  check(plan.architectures.length > 0 && plan.architectures.every(isArchitecture), 'architectures', `must be a comma list of ${ARCHITECTURES.join(', ')}`, plan.architectures.join(','));
  check(new Set(plan.architectures).size === plan.architectures.length, 'architectures', 'must not repeat an architecture', plan.architectures.join(','));
  check((DATASETS as readonly string[]).includes(plan.dataset), 'dataset', `must be one of ${DATASETS.join(', ')}`, plan.dataset);
  check(isInt(plan.candidates, 0, 1e9), 'candidates', 'must be a non-negative integer (0: no limit)', plan.candidates);
  check(Number.isFinite(plan.minutes) && plan.minutes >= 0, 'minutes', 'must be a non-negative number (0: no limit)', plan.minutes);
  check(plan.candidates > 0 || plan.minutes > 0, 'candidates', 'or --minutes must set a budget', plan.candidates);
  check(isInt(plan.concurrency, 1, 1024), 'concurrency', 'must be an integer in 1..1024', plan.concurrency);
  check(isInt(plan.stabilitySteps, 0, 1000), 'stability-steps', 'must be an integer in 0..1000', plan.stabilitySteps);
  check(isInt(plan.microSteps, 0, 10_000), 'micro-steps', 'must be an integer in 0..10000 (0: no micro-quality rung)', plan.microSteps);
  check(plan.microMinAccuracy >= 0 && plan.microMinAccuracy <= 1, 'micro-min-accuracy', 'must be in [0, 1]', plan.microMinAccuracy);
  check(isInt(plan.qualitySteps, 0, 10_000), 'quality-steps', 'must be an integer in 0..10000', plan.qualitySteps);
  check(plan.minAccuracy > 0 && plan.minAccuracy <= 1, 'min-accuracy', 'must be in (0, 1]', plan.minAccuracy);
  check(isInt(plan.qualityTries, 1, 8), 'quality-tries', 'must be an integer in 1..8', plan.qualityTries);
  check(typeof plan.qualityRung === 'boolean', 'quality-rung', 'must be true or false', plan.qualityRung);
  check(plan.rungStatistics === 'moving' || plan.rungStatistics === 'batch', 'rung-statistics', 'must be moving or batch', plan.rungStatistics);
  check(
    plan.promotionFraction > 0 && plan.promotionFraction <= 1,
    'promotion-fraction',
    'must be a fraction in (0, 1] (1: every layer that passes the quality rung is fully evaluated)',
    plan.promotionFraction,
  );
  check(
    plan.promotionFraction === 1 || (plan.qualityRung && plan.qualitySteps > 0 && plan.qualitySteps < plan.evaluationSteps),
    'promotion-fraction',
    'below 1 needs the quality rung (--quality-rung true, 0 < --quality-steps < --evaluation-steps)',
    plan.promotionFraction,
  );
  check(isInt(plan.evaluationSteps, 1, 100_000), 'evaluation-steps', 'must be an integer in 1..100000', plan.evaluationSteps);
  check(isInt(plan.evaluationSeeds, 1, 64), 'evaluation-seeds', 'must be an integer in 1..64', plan.evaluationSeeds);
  check(
    plan.adaptiveSeeds === 0 || isInt(plan.adaptiveSeeds, Math.max(2, plan.evaluationSeeds + 1), 64),
    'adaptive-seeds',
    `must be 0 (off) or an integer in ${Math.max(2, plan.evaluationSeeds + 1)}..64 (more than --evaluation-seeds)`,
    plan.adaptiveSeeds,
  );
  check(plan.adaptiveHalfWidth > 0 && plan.adaptiveHalfWidth < 1, 'adaptive-half-width', 'must be a fraction in (0, 1), e.g. 0.015 for 1.5 points', plan.adaptiveHalfWidth);
  check(isInt(plan.batchSize, 1, 1024), 'batch-size', 'must be an integer in 1..1024', plan.batchSize);
  for (const [flag, scale] of [
    ['width', plan.width],
    ['depth', plan.depth],
  ] as const) {
    const values = typeof scale === 'number' ? [scale] : Object.values(scale);
    check(
      values.every((v) => v >= 0.05 && v <= 4),
      flag,
      'must be a multiplier in [0.05, 4], or a list like resnet_v2=0.5,mobilenet_v2=0.25',
      scaleText(scale),
    );
    if (typeof scale !== 'number') check(Object.keys(scale).every(isArchitecture), flag, `names architectures among ${ARCHITECTURES.join(', ')}`, scaleText(scale));
  }
  check(plan.learningRate > 0 && plan.learningRate <= 10, 'learning-rate', 'must be in (0, 10]', plan.learningRate);
  check(isInt(plan.validationExamples, 10, 50_000), 'validation-examples', 'must be an integer in 10..50000', plan.validationExamples);
  check(typeof plan.measureCost === 'boolean', 'measure-cost', 'must be true or false', plan.measureCost);
  check(plan.measureCost || !plan.objectives.includes('cost'), 'objectives', 'with cost needs --measure-cost true', plan.objectives.join(','));
  check(Number.isFinite(plan.maxCostRatio) && (plan.maxCostRatio === 0 || plan.maxCostRatio >= 1), 'max-cost-ratio', 'must be 0 (off) or a ratio to BN-ReLU of at least 1', plan.maxCostRatio);
  check(plan.measureCost || plan.maxCostRatio === 0, 'max-cost-ratio', 'needs --measure-cost true', plan.maxCostRatio);
  return plan;
}

/** A plan read back from JSON (not yet validated); the seed may be a decimal string or, in runs from before 64-bit seeds, a number. */
export function planFromJson(raw: Readonly<Record<string, unknown>>): SearchPlan {
  let seed: bigint;
  try {
    seed = parseSeed(String(raw.seed ?? '0'));
  } catch (error) {
    throw new PlanError(`seed ${(error as Error).message}`);
  }
  // Runs from before multi-seed evaluation trained one seed per architecture, tried the quality test
  // once, and ran it as a separate training, without a micro-quality rung or inference costs.
  const seeds = {
    evaluationSeeds: 1,
    adaptiveSeeds: 0,
    adaptiveHalfWidth: DEFAULT_PLAN.adaptiveHalfWidth,
    qualityTries: 1,
    qualityRung: false,
    rungStatistics: 'moving',
    promotionFraction: 1,
    microSteps: 0,
    microMinAccuracy: DEFAULT_PLAN.microMinAccuracy,
    measureCost: false,
    objectives: ['accuracy'],
    maxCostRatio: 0,
  };
  return { ...seeds, ...(raw as unknown as SearchPlan), seed };
}

/** Flags of `evonorm search` that set plan fields, with their parsers. */
export const PLAN_FLAGS: Record<string, (plan: Record<string, unknown>, value: string) => void> = {
  seed: (p, v) => {
    try {
      p.seed = parseSeed(v);
    } catch (error) {
      throw new PlanError(`--seed ${(error as Error).message}`);
    }
  },
  engine: (p, v) => (p.engine = v),
  strategy: (p, v) => (p.strategy = v),
  population: (p, v) => (p.population = Number(v)),
  'tournament-fraction': (p, v) => (p.tournamentFraction = Number(v)),
  criterion: (p, v) => (p.criterion = v),
  objectives: (p, v) => (p.objectives = v.split(',').filter((o) => o.length > 0)),
  'batch-independent': (p, v) => (p.batchIndependent = v === 'true' || v === ''),
  'init-zoo': (p, v) => {
    if (v !== 'true' && v !== 'false') throw new PlanError(`--init-zoo must be true or false, got ${JSON.stringify(v)}`);
    p.initZoo = v === 'true';
  },
  architectures: (p, v) => (p.architectures = v.split(',').filter((a) => a.length > 0)),
  dataset: (p, v) => (p.dataset = v),
  candidates: (p, v) => (p.candidates = Number(v)),
  minutes: (p, v) => (p.minutes = Number(v)),
  concurrency: (p, v) => (p.concurrency = Number(v)),
  'stability-steps': (p, v) => (p.stabilitySteps = Number(v)),
  'micro-steps': (p, v) => (p.microSteps = Number(v)),
  'micro-min-accuracy': (p, v) => (p.microMinAccuracy = Number(v)),
  'quality-steps': (p, v) => (p.qualitySteps = Number(v)),
  'min-accuracy': (p, v) => (p.minAccuracy = Number(v)),
  'quality-tries': (p, v) => (p.qualityTries = Number(v)),
  'quality-rung': (p, v) => {
    if (v !== 'true' && v !== 'false') throw new PlanError(`--quality-rung must be true or false, got ${JSON.stringify(v)}`);
    p.qualityRung = v === 'true';
  },
  'rung-statistics': (p, v) => (p.rungStatistics = v),
  'promotion-fraction': (p, v) => (p.promotionFraction = Number(v)),
  'evaluation-steps': (p, v) => (p.evaluationSteps = Number(v)),
  'evaluation-seeds': (p, v) => (p.evaluationSeeds = Number(v)),
  'adaptive-seeds': (p, v) => (p.adaptiveSeeds = Number(v)),
  'adaptive-half-width': (p, v) => (p.adaptiveHalfWidth = Number(v)),
  'batch-size': (p, v) => (p.batchSize = Number(v)),
  width: (p, v) => (p.width = parseScale(v)),
  depth: (p, v) => (p.depth = parseScale(v)),
  'learning-rate': (p, v) => (p.learningRate = Number(v)),
  'validation-examples': (p, v) => (p.validationExamples = Number(v)),
  'measure-cost': (p, v) => {
    if (v !== 'true' && v !== 'false') throw new PlanError(`--measure-cost must be true or false, got ${JSON.stringify(v)}`);
    p.measureCost = v === 'true';
  },
  'max-cost-ratio': (p, v) => (p.maxCostRatio = Number(v)),
};

/** The default plan with flags applied, validated. */
export function planFrom(flags: Record<string, string | undefined>, base: SearchPlan = DEFAULT_PLAN): SearchPlan {
  const plan: Record<string, unknown> = { ...base };
  for (const [flag, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const apply = PLAN_FLAGS[flag];
    if (apply) apply(plan, value);
  }
  return validatePlan(plan as unknown as SearchPlan);
}
