/**
 * The rejection ladder's calibration, one JSON line per figure (npx nx run search:bench-ladder):
 *   node services/search/dist/bench/ladder.js [--random 100] [--mutants 100] [--layer-seed 1]
 *     [--micro-budgets 20,30,50] [--replicas N] [search plan flags: --dataset, --architectures, ...]
 * For the zoo, --random probe-valid random layers and --mutants mutants of zoo layers (all passing
 * the static checks and the probe, all distinct functions), every trained rung the search runs, each
 * on every layer whatever the others say, exactly as the search asks it (local services, one
 * training replica per core):
 * - the micro-quality rung at each of --micro-budgets steps and the plan's --micro-steps
 *   (stage-micro-quality.ts's network);
 * - the stability test (--stability-steps ascent steps, early exit);
 * - the quality test as the plan runs it (the quality rung: --quality-steps of evaluation seed 0 on
 *   each architecture, retries up to --quality-tries, stopping at the first architecture it fails).
 * Lines: "layer" (every rung's verdict, accuracy and seconds); "stability" (rejections, zoo layers
 * rejected, the share of quality-test passers it keeps, seconds of passes and of early exits);
 * "micro" per budget (over thresholds: recall of the quality passers, the share of quality failures
 * it drops, zoo layers rejected; at the highest threshold with no zoo layer rejected and recall
 * ≥ 95%: the ladder's recall with the stability test, and the share of the trained rungs' compute
 * the rung saves first in the ladder, the search's order, and after the stability test); "choice"
 * (the budget and threshold saving most); "default" (the plan's --micro-steps and
 * --micro-min-accuracy by the same figures, and whether they meet the rule); "reference" (BN-ReLU's
 * rungs in this run, each rung's mean seconds, wall seconds).
 * --random 4 --mutants 4 --dataset synthetic shrinks it to a quick check.
 */
import { setMaxListeners } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Candidate, TrainingFailure, graphToProto } from '@evonorm/contracts';
import { FASHION_MNIST_DIR } from '@evonorm/data';
import { ZOO_NAMES, renderFormula, zooLayer } from '@evonorm/graph';
import { defineFlags } from '@evonorm/rpc';
import { grpcBackend } from '../src/search/backend.js';
import { startLocalServices } from '../src/search/local.js';
import type { SearchPlan } from '../src/search/plan.js';
import { placeReplicas } from '../src/search/replicas.js';
import { microDescription, microRequest } from '../src/search/stage-micro-quality.js';
import { qualityRung } from '../src/search/stage-quality-rung.js';
import { stabilityRequest } from '../src/search/stage-rejection.js';
import { mean } from '../src/search/statistics.js';
import { ScreenedSet, mutantLayers, randomLayers } from './layers.js';
import { benchFail, parseBenchArgs } from './plan-args.js';

const OWN = defineFlags({
  random: { type: 'int', min: 0, max: 100_000, default: 100, env: false, description: 'probe-valid random layers' },
  mutants: { type: 'int', min: 0, max: 100_000, default: 100, env: false, description: 'probe-valid mutants of zoo layers' },
  'layer-seed': { type: 'int', min: 0, default: 1, env: false, description: 'seed of the random layers (the mutants use the next one)' },
  'micro-budgets': { type: 'list', default: ['20', '30', '50'], env: false, description: 'micro-quality rung steps to calibrate' },
  replicas: { type: 'int', min: 1, max: 256, default: Math.min(256, availableParallelism()), env: false, description: 'local training replicas' },
  'fashion-mnist-dir': { type: 'string', env: false, description: 'Fashion-MNIST folder' },
  from: { type: 'string', env: false, description: 'recompute the figures from a saved run\'s "layer" lines instead of training' },
});

/** Thresholds tried for the micro rung: 0 (failures only), then 10% (chance on 10 classes) to 40%. */
const THRESHOLDS = [0, ...Array.from({ length: 31 }, (_, k) => (10 + k) / 100)];
/** The share of quality-test passers a rung must keep. */
const RECALL_TARGET = 0.95;

function fail(message: string): never {
  return benchFail('search:bench-ladder', message);
}

interface Values {
  readonly random: number;
  readonly mutants: number;
  readonly 'layer-seed': number;
  readonly 'micro-budgets': string[];
  readonly replicas: number;
  readonly 'fashion-mnist-dir'?: string;
  readonly from?: string;
}

const print = (line: Record<string, unknown>): void => console.log(JSON.stringify(line));

interface MicroResult {
  readonly accuracy: number;
  readonly failed: boolean;
  readonly seconds: number;
}

type Kind = 'zoo' | 'random' | 'mutant';

interface LayerResult {
  readonly layer: { readonly name: string; readonly kind: Kind };
  readonly stable: boolean;
  readonly stabilitySeconds: number;
  readonly stabilitySteps: number;
  readonly micro: ReadonlyMap<number, MicroResult>;
  readonly qualityPassed: boolean;
  readonly qualityDetail: string;
  readonly qualitySeconds: number;
}

const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};
const round = (x: number | null, digits = 3): number | null => (x === null || !Number.isFinite(x) ? x : Number(x.toFixed(digits)));
const share = (part: number, whole: number): number | null => (whole === 0 ? null : round(part / whole));

/** Runs `work` on every item with at most `limit` in flight, results in order. */
async function inParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!);
      }
    }),
  );
  return out;
}

/** Trains every rung on the zoo, random layers and mutants, printing each layer's line as it finishes. */
async function measure(plan: SearchPlan, values: Values, budgets: readonly number[]): Promise<LayerResult[]> {
  const seed = values['layer-seed'];
  const set = new ScreenedSet(plan.batchIndependent);
  const zoo = ZOO_NAMES.filter((name) => set.admit(zooLayer(name).graph));
  const layers = [
    ...zoo.map((name) => ({ name, graph: zooLayer(name).graph, kind: 'zoo' as const })),
    ...randomLayers(values.random, seed, set, plan.batchIndependent, fail).map((l) => ({ ...l, kind: 'random' as const })),
    ...mutantLayers(values.mutants, seed + 1, zoo, set, plan.batchIndependent, fail).map((l) => ({ ...l, kind: 'mutant' as const })),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'evonorm-ladder-'));
  const placement = placeReplicas({ ep: 'cpu', cores: availableParallelism(), replicas: values.replicas, threadsPerReplica: 1 });
  const local = await startLocalServices({ dir, plan, placement, ...(values['fashion-mnist-dir'] ? { fashionMnistDir: values['fashion-mnist-dir'] } : {}) });
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const backend = grpcBackend(local.addresses, stop.signal);
  try {
    // As many layers in flight as the search keeps candidates (--concurrency): every rung's training queues on the replicas.
    const results = await inParallel(layers, plan.concurrency, async (layer): Promise<LayerResult> => {
      const graph = graphToProto(layer.graph);
      const [stability, micro, quality] = await Promise.all([
        backend.testStability(stabilityRequest(plan, graph), stop.signal),
        Promise.all(
          budgets.map(async (steps) => {
            const r = await backend.train(microRequest({ ...plan, microSteps: steps, microMinAccuracy: 0 }, graph), stop.signal);
            return [steps, { accuracy: r.score?.accuracy ?? 0, failed: r.failure !== TrainingFailure.TRAINING_FAILURE_UNSPECIFIED, seconds: r.seconds }] as const;
          }),
        ),
        qualityRung(plan, backend, Candidate.fromPartial({ id: layer.name, graph }), stop.signal),
      ]);
      const result: LayerResult = {
        layer,
        stable: stability.accepted,
        stabilitySeconds: stability.seconds,
        stabilitySteps: stability.steps,
        micro: new Map(micro),
        qualityPassed: quality.passed,
        qualityDetail: quality.passed ? '' : (quality.candidate.rejection?.detail ?? ''),
        qualitySeconds: quality.computeSeconds,
      };
      print({
        type: 'layer',
        layer: layer.name,
        kind: layer.kind,
        formula: renderFormula(layer.graph, 'text'),
        stability: { accepted: stability.accepted, steps: stability.steps, seconds: round(stability.seconds) },
        micro: Object.fromEntries(micro.map(([steps, m]) => [steps, { accuracy: round(m.accuracy), failed: m.failed, seconds: round(m.seconds) }])),
        quality: { passed: quality.passed, detail: result.qualityDetail, seconds: round(quality.computeSeconds) },
      });
      return result;
    });
    return results;
  } finally {
    stop.abort();
    backend.close();
    await local.stop();
  }
}

/** A "layer" line as printed. */
interface LayerLine {
  readonly type: string;
  readonly layer: string;
  readonly kind: Kind;
  readonly stability: { accepted: boolean; steps: number; seconds: number };
  readonly micro: Record<string, MicroResult>;
  readonly quality: { passed: boolean; detail: string; seconds: number };
}

/** A saved "layer" line back as the figures' input. */
function fromLine(line: LayerLine): LayerResult {
  return {
    layer: { name: line.layer, kind: line.kind },
    stable: line.stability.accepted,
    stabilitySeconds: line.stability.seconds,
    stabilitySteps: line.stability.steps,
    micro: new Map(Object.entries(line.micro).map(([steps, m]) => [Number(steps), m])),
    qualityPassed: line.quality.passed,
    qualityDetail: line.quality.detail,
    qualitySeconds: line.quality.seconds,
  };
}

async function main(): Promise<void> {
  const { values, plan } = parseBenchArgs<Values>('search:bench-ladder', process.argv.slice(2), OWN);
  if (values.dataset === undefined && !existsSync(values['fashion-mnist-dir'] ?? FASHION_MNIST_DIR)) fail('Fashion-MNIST is not installed: pass --fashion-mnist-dir, or --dataset synthetic');
  // The plan's own --micro-steps is always among them (the "default" line judges it).
  const budgets = [...new Set([...values['micro-budgets'].map(Number), ...(plan.microSteps > 0 ? [plan.microSteps] : [])])];
  if (budgets.length === 0 || budgets.some((b) => !Number.isInteger(b) || b < 1 || b > 10_000))
    fail(`--micro-budgets must be a comma list of step counts in 1..10000, got ${values['micro-budgets'].join(',')}`);
  if (plan.stabilitySteps === 0 || plan.qualitySteps === 0 || plan.microSteps === 0) fail('the calibration needs every rung (--micro-steps, --stability-steps, --quality-steps > 0)');
  const started = performance.now();
  let results: LayerResult[];
  if (values.from) {
    const lines = readFileSync(values.from, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'));
    results = lines
      .map((l) => JSON.parse(l) as LayerLine)
      .filter((l) => l.type === 'layer')
      .map(fromLine);
    if (results.length === 0) fail(`${values.from} has no "layer" lines`);
    const missing = budgets.filter((b) => !results.every((r) => r.micro.has(b)));
    if (missing.length > 0) fail(`${values.from} has no micro-quality rung at ${missing.join(', ')} steps for every layer: pass --micro-budgets and --micro-steps it measured`);
  } else {
    results = await measure(plan, values, budgets);
  }
  summarize(plan, values, budgets, results, (performance.now() - started) / 1000);
}

/** The rungs' figures over every layer's results. */
function summarize(plan: SearchPlan, values: Values, budgets: readonly number[], results: readonly LayerResult[], seconds: number): void {
  const passers = results.filter((r) => r.qualityPassed);
  const failers = results.filter((r) => !r.qualityPassed);
  const zooNames = (rs: readonly LayerResult[]): string[] => rs.filter((r) => r.layer.kind === 'zoo').map((r) => r.layer.name);

  const unstable = results.filter((r) => !r.stable);
  print({
    type: 'stability',
    steps: plan.stabilitySteps,
    layers: results.length,
    rejected: unstable.length,
    zooRejected: zooNames(unstable),
    qualityPassers: passers.length,
    qualityPassersRejected: passers.filter((r) => !r.stable).map((r) => r.layer.name),
    recall: share(passers.filter((r) => r.stable).length, passers.length),
    qualityFailuresDropped: share(failers.filter((r) => !r.stable).length, failers.length),
    secondsMean: round(mean(results.map((r) => r.stabilitySeconds))),
    acceptedSecondsMedian: round(median(results.filter((r) => r.stable).map((r) => r.stabilitySeconds))),
    rejectedSecondsMedian: round(median(unstable.map((r) => r.stabilitySeconds))),
    rejectedStepsMedian: median(unstable.map((r) => r.stabilitySteps)),
  });

  // The micro rung at `steps` and `threshold` in the ladder: it comes first (the search's order),
  // and the ladder's compute is micro + stability on what it keeps + quality on what both keep;
  // without it, stability + quality on the stable layers; with it after the stability test, for
  // comparison. "ladderRecall": quality passers that pass both the micro rung and stability.
  const sum = (rs: readonly LayerResult[], f: (r: LayerResult) => number): number => rs.reduce((t, r) => t + f(r), 0);
  const stable = results.filter((r) => r.stable);
  const without = sum(results, (r) => r.stabilitySeconds) + sum(stable, (r) => r.qualitySeconds);
  const evaluate = (steps: number, threshold: number) => {
    const pass = (r: LayerResult): boolean => {
      const m = r.micro.get(steps)!;
      return !m.failed && m.accuracy >= threshold;
    };
    const micro = (r: LayerResult): number => r.micro.get(steps)!.seconds;
    const first = sum(results, micro) + sum(results.filter(pass), (r) => r.stabilitySeconds) + sum(stable.filter(pass), (r) => r.qualitySeconds);
    const after = sum(results, (r) => r.stabilitySeconds) + sum(stable, micro) + sum(stable.filter(pass), (r) => r.qualitySeconds);
    return {
      threshold,
      recall: share(passers.filter(pass).length, passers.length),
      ladderRecall: share(passers.filter((r) => pass(r) && r.stable).length, passers.length),
      qualityFailuresDropped: share(failers.filter((r) => !pass(r)).length, failers.length),
      zooRejected: zooNames(results.filter((r) => !pass(r))),
      qualityPassersRejected: passers.filter((r) => !pass(r)).map((r) => r.layer.name),
      ladderSeconds: { without: round(without, 1), microFirst: round(first, 1), microAfterStability: round(after, 1) },
      netSaving: share(without - first, without),
      netSavingAfterStability: share(without - after, without),
    };
  };
  const choices = budgets.map((steps) => {
    const curve = THRESHOLDS.map((threshold) => {
      const e = evaluate(steps, threshold);
      return { threshold, recall: e.recall, dropped: e.qualityFailuresDropped, zooRejected: e.zooRejected };
    });
    // The calibration rule: the highest threshold that rejects no zoo layer and keeps ≥ 95% of the quality passers.
    const admissible = curve.filter((c) => c.zooRejected.length === 0 && (c.recall === null || c.recall >= RECALL_TARGET));
    const chosen = evaluate(steps, (admissible.at(-1) ?? curve[0]!).threshold);
    const line = {
      type: 'micro',
      steps,
      network: microDescription({ ...plan, microSteps: steps }),
      layers: results.length,
      qualityPassers: passers.length,
      failures: results.filter((r) => r.micro.get(steps)!.failed).length,
      secondsMean: round(mean(results.map((r) => r.micro.get(steps)!.seconds))),
      curve,
      ...chosen,
    };
    print(line);
    return line;
  });
  const best = [...choices].sort((a, b) => (b.netSaving ?? -Infinity) - (a.netSaving ?? -Infinity))[0]!;
  print({ type: 'choice', microSteps: best.steps, microMinAccuracy: best.threshold, recall: best.recall, ladderRecall: best.ladderRecall, netSaving: best.netSaving });
  // The plan's own setting (the main job's defaults unless flags change them), judged by the same rule.
  const own = evaluate(plan.microSteps, plan.microMinAccuracy);
  print({
    type: 'default',
    microSteps: plan.microSteps,
    ...own,
    stabilityRecall: share(passers.filter((r) => r.stable).length, passers.length),
    meetsRule: own.zooRejected.length === 0 && (own.recall === null || own.recall >= RECALL_TARGET),
  });
  const bn = results.find((r) => r.layer.name === 'bn-relu');
  print({
    type: 'reference',
    bnRelu: bn ? { stable: bn.stable, micro: Object.fromEntries([...bn.micro].map(([steps, m]) => [steps, round(m.accuracy)])), qualityPassed: bn.qualityPassed } : null,
    secondsMean: {
      stability: round(mean(results.map((r) => r.stabilitySeconds))),
      ...Object.fromEntries(budgets.map((steps) => [`micro${steps}`, round(mean(results.map((r) => r.micro.get(steps)!.seconds)))])),
      quality: round(mean(results.map((r) => r.qualitySeconds))),
    },
    layers: Object.fromEntries((['zoo', 'random', 'mutant'] as const).map((kind) => [kind, results.filter((r) => r.layer.kind === kind).length])),
    ...(values.from ? { from: values.from } : {}),
    seconds: round(seconds, 1),
    plan: {
      dataset: plan.dataset,
      architectures: plan.architectures,
      stabilitySteps: plan.stabilitySteps,
      qualitySteps: plan.qualitySteps,
      minAccuracy: plan.minAccuracy,
      qualityTries: plan.qualityTries,
    },
    replicas: values.replicas,
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
