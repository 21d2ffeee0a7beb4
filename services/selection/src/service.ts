/** The SelectionService handlers: validation of every report and query over the population. */
import { Objective, SelectionCriterion, type ArchitectureScore, type Candidate, type InferenceCost, type SearchConfig, type SelectionServiceServer } from '@evonorm/contracts';
import { FlagError, failedPrecondition, invalidArgument, requireGraph, requireSeed, unary, type Logger } from '@evonorm/rpc';
import type { SearchStore } from '@evonorm/store';
import { Population } from './population.js';

const HASH = /^[0-9a-f]{16}$/;
const MAX_PAGE = 1000;

function requireCandidate(candidate: Candidate | undefined, search: SearchConfig): Candidate {
  if (!candidate) throw invalidArgument('candidate', 'a candidate is required');
  if (!candidate.id || candidate.id.length > 128 || !/^[\w.:-]+$/.test(candidate.id)) {
    throw invalidArgument('candidate.id', 'must be 1-128 characters of letters, digits, "_", "-", ".", ":" (assigned by the caller, so reports are idempotent)');
  }
  requireGraph('candidate.graph', candidate.graph, { batchIndependent: search.batchIndependent });
  if (candidate.hashes?.functional && !HASH.test(candidate.hashes.functional)) {
    throw invalidArgument('candidate.hashes.functional', 'must be 16 lowercase hex characters (the probe hash) or empty');
  }
  if (!candidate.fitness && !candidate.rejection) throw invalidArgument('candidate', 'needs an outcome: fitness (evaluated) or rejection');
  if (candidate.fitness) {
    const scores = candidate.fitness.scores;
    if (scores.length === 0) throw invalidArgument('candidate.fitness.scores', 'an evaluated candidate needs at least one architecture score');
    scores.forEach((s, i) => {
      if (!search.architectures.includes(s.architecture)) {
        throw invalidArgument(`candidate.fitness.scores[${i}].architecture`, `${JSON.stringify(s.architecture)} is not one of this search's architectures (${search.architectures.join(', ')})`);
      }
      if (!(s.accuracy >= 0 && s.accuracy <= 1)) throw invalidArgument(`candidate.fitness.scores[${i}].accuracy`, `must be in [0, 1], got ${s.accuracy}`);
      requireSeedScores(`candidate.fitness.scores[${i}]`, s);
    });
  }
  candidate.rungScores.forEach((s, i) => {
    if (!search.architectures.includes(s.architecture)) {
      throw invalidArgument(`candidate.rung_scores[${i}].architecture`, `${JSON.stringify(s.architecture)} is not one of this search's architectures (${search.architectures.join(', ')})`);
    }
    if (!(s.accuracy >= 0 && s.accuracy <= 1)) throw invalidArgument(`candidate.rung_scores[${i}].accuracy`, `must be in [0, 1], got ${s.accuracy}`);
  });
  if (candidate.cost) requireCost(candidate.cost);
  return candidate;
}

/** An inference cost as the training service measures it: finite non-negative times, their ratio, a known provider, clock and [N, C, H, W]. */
function requireCost(cost: InferenceCost): void {
  for (const field of ['ratio', 'layerMs', 'referenceMs'] as const) {
    if (!(Number.isFinite(cost[field]) && cost[field] >= 0))
      throw invalidArgument(`candidate.cost.${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`, `must be a finite non-negative number, got ${cost[field]}`);
  }
  if (cost.referenceMs > 0 && Math.abs(cost.ratio - cost.layerMs / cost.referenceMs) > 1e-6 * Math.max(1, cost.ratio)) {
    throw invalidArgument('candidate.cost.ratio', `must be layer_ms / reference_ms (${cost.layerMs / cost.referenceMs}), got ${cost.ratio}`);
  }
  if (!['cpu', 'cuda'].includes(cost.executionProvider)) throw invalidArgument('candidate.cost.execution_provider', `must be cpu or cuda, got ${JSON.stringify(cost.executionProvider)}`);
  if (!['cpu_time', 'wall'].includes(cost.clock)) throw invalidArgument('candidate.cost.clock', `must be cpu_time or wall, got ${JSON.stringify(cost.clock)}`);
  if (cost.shape.length !== 4 || cost.shape.some((d) => d < 1)) throw invalidArgument('candidate.cost.shape', `must be [N, C, H, W] of positive sizes, got [${cost.shape.join(', ')}]`);
}

/** Per-seed scores (multi-seed evaluation): accuracies in [0, 1], one seed each, averaging to the score's accuracy. */
function requireSeedScores(field: string, s: ArchitectureScore): void {
  s.seedAccuracies.forEach((a, j) => {
    if (!(a >= 0 && a <= 1)) throw invalidArgument(`${field}.seed_accuracies[${j}]`, `must be in [0, 1], got ${a}`);
  });
  if (s.seeds.length !== 0 && s.seeds.length !== s.seedAccuracies.length) {
    throw invalidArgument(`${field}.seeds`, `must name the seed of each of the ${s.seedAccuracies.length} seed_accuracies (or be empty), got ${s.seeds.length}`);
  }
  if (s.seedAccuracies.length > 0) {
    const mean = s.seedAccuracies.reduce((t, a) => t + a, 0) / s.seedAccuracies.length;
    if (Math.abs(mean - s.accuracy) > 1e-9) throw invalidArgument(`${field}.accuracy`, `must be the mean of seed_accuracies (${mean}), got ${s.accuracy}`);
  }
}

export function selectionService(search: SearchConfig, store: SearchStore, logger: Logger): SelectionServiceServer {
  const population = new Population({ size: search.populationSize, tournamentFraction: search.tournamentFraction, criterion: search.criterion, objectives: search.objectives }, store);
  return {
    getSearch: unary('GetSearch', logger, () => ({ config: search, candidates: BigInt(population.reported), population: population.size })),
    sampleParent: unary('SampleParent', logger, (request) => {
      const seed = requireSeed('seed', request.seed);
      let asOf: number | undefined;
      if (request.asOf !== undefined) {
        const reported = population.reported;
        if (request.asOf > BigInt(reported)) throw invalidArgument('as_of', `must be at most the ${reported} candidates reported so far, got ${request.asOf}`);
        asOf = Number(request.asOf);
      }
      const drawn = population.sample(seed, asOf);
      if (!drawn) {
        throw failedPrecondition(
          asOf === undefined ? 'the population is empty: report evaluated candidates (the initial population) first' : `the population was empty after the first ${asOf} reports`,
        );
      }
      return { parent: drawn.parent, tournament: drawn.tournament.map((c) => c.id), population: drawn.population };
    }),
    reportCandidate: unary('ReportCandidate', logger, (request) => {
      const outcome = population.report(requireCandidate(request.candidate, search));
      return { ...outcome, sequence: BigInt(outcome.sequence) };
    }),
    lookupFunctionalHash: unary('LookupFunctionalHash', logger, (request) => {
      if (!HASH.test(request.functionalHash)) throw invalidArgument('functional_hash', 'must be 16 lowercase hex characters');
      const found = population.lookup(request.functionalHash);
      return found ? { found: true, candidate: found } : { found: false, candidate: undefined };
    }),
    listPopulation: unary('ListPopulation', logger, (request) => ({ candidates: population.population(request.limit) })),
    getParetoFront: unary('GetParetoFront', logger, (request) => ({ candidates: population.front(request.history) })),
    listHistory: unary('ListHistory', logger, (request) => {
      const size = request.pageSize || 100;
      if (size > MAX_PAGE) throw invalidArgument('page_size', `at most ${MAX_PAGE}, got ${size}`);
      const offset = request.pageToken ? Number(request.pageToken) : 0;
      if (!Number.isSafeInteger(offset) || offset < 0) throw invalidArgument('page_token', 'use the next_page_token of a previous response');
      const page = population.page(offset, size, request.acceptedOnly);
      return { candidates: page.candidates, nextPageToken: page.next === undefined ? '' : String(page.next) };
    }),
    getStatistics: unary('GetStatistics', logger, () => {
      const stats = population.statistics();
      const rejectionsByReason = Object.fromEntries(Object.entries(stats.rejectionsByReason).map(([reason, n]) => [reason, BigInt(n)]));
      return { ...stats, candidates: BigInt(stats.candidates), evaluated: BigInt(stats.evaluated), rejectionsByReason, duplicateHits: BigInt(stats.duplicateHits) };
    }),
  };
}

export function criterionFrom(text: string): SelectionCriterion {
  if (text === 'average') return SelectionCriterion.SELECTION_CRITERION_AVERAGE;
  if (text === 'pareto') return SelectionCriterion.SELECTION_CRITERION_PARETO;
  throw new Error(`--criterion must be average or pareto, got ${text}`);
}

/** --objectives: "accuracy" or "accuracy,cost" (accuracy always; cost adds the inference cost ratio). */
export function objectivesFrom(names: readonly string[]): Objective[] {
  if (!names.includes('accuracy')) throw new FlagError(`--objectives must include accuracy (accuracy or accuracy,cost), got ${names.join(',')}`);
  return names.map((name) => {
    if (name === 'accuracy') return Objective.OBJECTIVE_ACCURACY;
    if (name === 'cost') return Objective.OBJECTIVE_COST;
    throw new FlagError(`--objectives takes accuracy and cost, got ${name}`);
  });
}
