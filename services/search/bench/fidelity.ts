/**
 * How much a search's scores can be trusted, one JSON line per figure (npx nx run search:bench-fidelity):
 *   node services/search/dist/bench/fidelity.js [--zoo bn-relu,...] [--layers 12] [--seeds 3] [--steps S]
 *     [--factor 8] [--long-seeds 1] [--replicas N] [--layer-seed 1] [search plan flags: --dataset,
 *     --architectures, --width, --depth, --batch-size, --learning-rate, --validation-examples, ...]
 * For the zoo and --layers probe-valid random layers, trained at the plan's settings (the main job's
 * defaults unless flags change them) on the training replicas (started here, one per core):
 * - "layer": each layer's accuracy per seed at the plan's evaluation budget, and at --factor× that
 *   budget (--long-seeds seeds), per architecture;
 * - "noise": per architecture, the sd of accuracy over the --seeds seeds (median and max over layers,
 *   and the mean-accuracy sd), i.e. how far one evaluation is from the next of the same layer;
 * - "fidelity": Spearman's rank correlation between the short budget's mean accuracy (what the
 *   search ranks by) and the long one's, per architecture and for the mean over architectures;
 * - "quality": each layer's quality test as the search runs it (under --quality-rung, evaluation seed
 *   0's training stopped after --quality-steps, and below --min-accuracy the retry seeds up to
 *   --quality-tries; with --quality-rung false, --quality-steps trainings on the quality seeds), and
 *   "rejections": which zoo layers it would reject. A rung that stops before the end is scored both
 *   ways, and these lines and "ladder" come once for each (rungStatistics: moving, batch);
 * - "ladder": the ladder's recall, the share of the long budget's top 10% that passes the quality
 *   test and, with --promotion-fraction F < 1, is promoted against the other layers' rung scores;
 * - "reference": BN-ReLU's accuracy in this same run, short and long, and the run's wall seconds.
 * --layers 0 --zoo bn-relu,gn-relu --seeds 2 --steps 20 --dataset synthetic shrinks it to a quick check.
 */
import { setMaxListeners } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainRequest, graphToProto } from '@evonorm/contracts';
import { FASHION_MNIST_DIR } from '@evonorm/data';
import { ZOO_NAMES, renderFormula, zooLayer, type LayerGraph } from '@evonorm/graph';
import { TrainingPool, defineFlags, trainingTargets } from '@evonorm/rpc';
import { engineCode, trainingConfig } from '../src/search/proxy-config.js';
import { evaluationSeed, qualitySeed } from '../src/search/seeds.js';
import type { SearchPlan } from '../src/search/plan.js';
import { promotionDecision } from '../src/search/promotion.js';
import { rungRequest, rungStopsEarly } from '../src/search/stage-quality-rung.js';
import { runQualityTries } from '../src/search/stage-rejection.js';
import { mean, sd, spearman } from '../src/search/statistics.js';
import { startTrainingReplicas } from '../src/search/training-replicas.js';
import { ScreenedSet, randomLayers } from './layers.js';
import { benchFail, parseBenchArgs } from './plan-args.js';

const OWN = defineFlags({
  zoo: { type: 'list', values: ZOO_NAMES, default: [...ZOO_NAMES], env: false, description: 'zoo layers measured' },
  layers: { type: 'int', min: 0, max: 1000, default: 12, env: false, description: 'probe-valid random layers measured' },
  'layer-seed': { type: 'int', min: 0, default: 1, env: false, description: 'seed of the random layers' },
  seeds: { type: 'int', min: 2, max: 64, default: 3, env: false, description: 'training seeds at the plan budget' },
  steps: { type: 'int', min: 1, max: 100_000, env: false, description: "the plan budget's steps (default the plan's --evaluation-steps)" },
  factor: { type: 'int', min: 2, max: 100, default: 8, env: false, description: 'the long budget is this many times the plan budget' },
  'long-seeds': { type: 'int', min: 1, max: 64, default: 1, env: false, description: 'training seeds at the long budget' },
  replicas: { type: 'int', min: 1, max: 256, default: Math.min(256, availableParallelism()), env: false, description: 'local training replicas' },
  'fashion-mnist-dir': { type: 'string', env: false, description: 'Fashion-MNIST folder' },
});

function fail(message: string): never {
  return benchFail('search:bench-fidelity', message);
}

async function main(): Promise<void> {
  const { values, plan } = parseBenchArgs<{ [K in keyof typeof OWN]: K extends 'zoo' ? string[] : K extends 'fashion-mnist-dir' ? string | undefined : number }>(
    'search:bench-fidelity',
    process.argv.slice(2),
    OWN,
  );
  if (values[`dataset`] === undefined && !existsSync(values['fashion-mnist-dir'] ?? FASHION_MNIST_DIR)) fail('Fashion-MNIST is not installed: pass --fashion-mnist-dir, or --dataset synthetic');
  const short = values.steps ?? plan.evaluationSteps;
  const long = short * values.factor;
  const layers = [
    ...values.zoo.map((name) => ({ name, graph: zooLayer(name).graph })),
    ...randomLayers(values.layers, values['layer-seed'], new ScreenedSet(plan.batchIndependent), plan.batchIndependent, fail),
  ];
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'evonorm-fidelity-'));
  const replicas = await startTrainingReplicas({
    dir,
    prefix: 'training',
    replicas: values.replicas,
    threadsPerReplica: 1,
    ...(values['fashion-mnist-dir'] ? { fashionMnistDir: values['fashion-mnist-dir'] } : {}),
  });
  const pool = new TrainingPool(trainingTargets(replicas.addresses), { perReplica: 1 });
  const signal = new AbortController().signal;
  setMaxListeners(0, signal); // one listener per training in flight
  const accuracy = async (request: TrainRequest): Promise<number> => {
    const r = await pool.train(request, signal);
    return r.failure !== 0 ? 0 : r.score!.accuracy;
  };
  const train = (graph: LayerGraph, architecture: string, steps: number, seed: bigint): Promise<number> =>
    accuracy(TrainRequest.fromPartial({ graph: graphToProto(graph), seed, engine: engineCode(plan.engine), progressEvery: 1_000_000, config: trainingConfig(plan, architecture, steps) }));
  // What stage-rejection asks, scored like an evaluation. Every try's accuracy. Under --quality-rung:
  // evaluation seed 0's training stopped at the rung (the search's own request), then the retry seeds the same way.
  const rungTry = (rungPlan: SearchPlan, graph: LayerGraph, architecture: string, seed: bigint): Promise<number> => accuracy(rungRequest(rungPlan, graphToProto(graph), architecture, seed));
  const qualityTest = async (rungPlan: SearchPlan, graph: LayerGraph, architecture: string): Promise<number[]> => {
    if (!plan.qualityRung)
      return runQualityTries(
        plan,
        (seed) => train(graph, architecture, plan.qualitySteps, seed),
        (accuracy) => accuracy >= plan.minAccuracy,
      );
    const tries = [await rungTry(rungPlan, graph, architecture, evaluationSeed(plan.seed, 0))];
    for (let attempt = 1; attempt < plan.qualityTries && tries.at(-1)! < plan.minAccuracy; attempt++) tries.push(await rungTry(rungPlan, graph, architecture, qualitySeed(plan.seed, attempt)));
    return tries;
  };
  // A rung that stops before the end is scored both ways (moving averages, batch statistics; the
  // plan's first): the quality, rejections and ladder lines for each. Each way is its own training,
  // on the same seeds, so the same weights are scored.
  const stopsEarly = plan.qualityRung && plan.qualitySteps > 0 && rungStopsEarly(plan);
  const rungPlans: SearchPlan[] = stopsEarly ? [plan, { ...plan, rungStatistics: plan.rungStatistics === 'batch' ? 'moving' : 'batch' }] : [plan];
  const seeds = (n: number): bigint[] => Array.from({ length: n }, (_, j) => evaluationSeed(plan.seed, j));
  const print = (line: Record<string, unknown>): void => console.log(JSON.stringify(line));
  try {
    // Every training in flight at once: the pool keeps each replica busy with one.
    const results = await Promise.all(
      layers.map(async (layer) => {
        const perArch = await Promise.all(
          plan.architectures.map(async (architecture) => {
            const [quality, shortScores, longScores] = await Promise.all([
              plan.qualitySteps > 0 ? Promise.all(rungPlans.map((rungPlan) => qualityTest(rungPlan, layer.graph, architecture))) : null,
              Promise.all(seeds(values.seeds).map((seed) => train(layer.graph, architecture, short, seed))),
              Promise.all(seeds(values['long-seeds']).map((seed) => train(layer.graph, architecture, long, seed))),
            ]);
            return { architecture, quality, short: shortScores, long: longScores };
          }),
        );
        // Per rung form: the first architecture the layer fails on every try, or null.
        const rejectedOn = rungPlans.map((_, k) => perArch.find((a) => a.quality !== null && Math.max(...a.quality[k]!) < plan.minAccuracy)?.architecture ?? null);
        rungPlans.forEach((rungPlan, k) =>
          print({
            type: 'quality',
            layer: layer.name,
            steps: plan.qualitySteps,
            minAccuracy: plan.minAccuracy,
            tries: plan.qualityTries,
            ...(stopsEarly ? { rungStatistics: rungPlan.rungStatistics } : {}),
            accuracies: Object.fromEntries(perArch.map((a) => [a.architecture, a.quality?.[k] ?? null])),
            rejectedOn: rejectedOn[k],
          }),
        );
        for (const a of perArch)
          print({ type: 'layer', layer: layer.name, formula: renderFormula(layer.graph, 'text'), architecture: a.architecture, shortSteps: short, short: a.short, longSteps: long, long: a.long });
        return { layer: layer.name, perArch, rejectedOn };
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const sdOf = (xs: readonly number[]): number => sd(xs);
    for (const [k, architecture] of plan.architectures.entries()) {
      const sds = results.map((r) => sdOf(r.perArch[k]!.short)).sort((a, b) => a - b);
      print({ type: 'noise', architecture, seeds: values.seeds, steps: short, medianSd: sds[Math.floor((sds.length - 1) / 2)], maxSd: sds.at(-1), meanSd: mean(sds), layers: results.length });
      print({
        type: 'fidelity',
        architecture,
        shortSteps: short,
        longSteps: long,
        spearman: spearman(
          results.map((r) => mean(r.perArch[k]!.short)),
          results.map((r) => mean(r.perArch[k]!.long)),
        ),
        layers: results.length,
      });
    }
    const meanShort = results.map((r) => mean(r.perArch.map((a) => mean(a.short))));
    const meanLong = results.map((r) => mean(r.perArch.map((a) => mean(a.long))));
    const seedMeans = results.map((r) => sdOf(Array.from({ length: values.seeds }, (_, j) => mean(r.perArch.map((a) => a.short[j]!)))));
    print({
      type: 'noise',
      architecture: 'mean',
      seeds: values.seeds,
      steps: short,
      medianSd: [...seedMeans].sort((a, b) => a - b)[Math.floor((seedMeans.length - 1) / 2)],
      maxSd: Math.max(...seedMeans),
      meanSd: mean(seedMeans),
      layers: results.length,
    });
    print({ type: 'fidelity', architecture: 'mean', shortSteps: short, longSteps: long, spearman: spearman(meanShort, meanLong), layers: results.length });
    const zooNames = new Set<string>(values.zoo);
    const topCount = Math.max(1, Math.ceil(0.1 * results.length));
    const top = results
      .map((r, i) => ({ layer: r.layer, long: meanLong[i]! }))
      .sort((a, b) => b.long - a.long)
      .slice(0, topCount)
      .map((t) => t.layer);
    rungPlans.forEach((rungPlan, k) => {
      const form = stopsEarly ? { rungStatistics: rungPlan.rungStatistics } : {};
      print({
        type: 'rejections',
        qualitySteps: plan.qualitySteps,
        minAccuracy: plan.minAccuracy,
        qualityTries: plan.qualityTries,
        ...form,
        zooRejected: results.filter((r) => zooNames.has(r.layer) && r.rejectedOn[k] !== null).map((r) => r.layer),
        randomRejected: results.filter((r) => !zooNames.has(r.layer) && r.rejectedOn[k] !== null).length,
        layers: results.length,
      });
      // The ladder's recall: of the layers the long budget puts in its top 10%, the share the ladder
      // sends to the full budget (passes the quality rung and, with --promotion-fraction F < 1, has a
      // rung score in the best F of the other passing layers', as promotion.ts decides in a search).
      const passing = results.map((r) => r.rejectedOn[k] === null && plan.qualitySteps > 0);
      const rungMeans = results.map((r) => mean(r.perArch.map((a) => a.quality?.[k]?.at(-1) ?? 0)));
      // Every other passing layer counts as earlier, however few (population 1: no grace period).
      const promoted = results.map((_, i) =>
        passing[i]
          ? promotionDecision(
              { ...plan, population: 1 },
              rungMeans[i]!,
              rungMeans.filter((__, j) => j !== i && passing[j]),
            ).promoted
          : plan.qualitySteps === 0,
      );
      const promotedNames = results.filter((_, i) => promoted[i]).map((r) => r.layer);
      print({
        type: 'ladder',
        promotionFraction: plan.promotionFraction,
        qualityRung: plan.qualityRung,
        ...form,
        longSteps: long,
        top,
        promoted: promotedNames,
        recall: top.filter((name) => promotedNames.includes(name)).length / top.length,
        rungScores: Object.fromEntries(results.map((r, i) => [r.layer, passing[i] ? rungMeans[i] : null])),
        layers: results.length,
      });
    });
    const bn = results.findIndex((r) => r.layer === 'bn-relu');
    print({
      type: 'reference',
      bnRelu: bn >= 0 ? { short: meanShort[bn], long: meanLong[bn] } : null,
      seconds,
      plan: {
        dataset: plan.dataset,
        architectures: plan.architectures,
        batchSize: plan.batchSize,
        learningRate: plan.learningRate,
        qualitySteps: plan.qualitySteps,
        minAccuracy: plan.minAccuracy,
        qualityTries: plan.qualityTries,
        qualityRung: plan.qualityRung,
        rungStatistics: plan.rungStatistics,
        width: plan.width,
        depth: plan.depth,
        validationExamples: plan.validationExamples,
      },
      replicas: values.replicas,
    });
  } finally {
    pool.close();
    await replicas.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
