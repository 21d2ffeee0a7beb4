/**
 * Where one candidate's seconds go, at the main job's own sizes, one JSON line per figure
 * (npx nx run search:bench-cost):
 *   node services/search/dist/bench/cost.js [--layers bn-relu,evonorm-b0,evonorm-s0] [--threads 1]
 *     [--profile-steps 12] [--fashion-mnist-dir D] [search plan flags: --dataset, --architectures,
 *     --width, --depth, --batch-size, --quality-steps, --evaluation-steps, --stability-steps, ...]
 * In this process, on --threads threads (the main job's replicas have one each), for each layer:
 * - "stage": the seconds of each stage a search puts a candidate through (screen, stability,
 *   quality per architecture, evaluation per architecture), in the search's order, so that the
 *   evaluation finds the sessions the quality test left (as on a replica that ran both);
 * - "training": one training's phases (graph building, session creation, data, steps,
 *   evaluation passes), its images/s, GFLOP/s and fraction of the same run's Conv reference;
 * - "profile" (unless --profile-steps 0): one steady-state training step by ONNX Runtime's
 *   profiler, its kernel time grouped into convolutions (forward, input gradient, weight
 *   gradient), the layer (forward, backward), the optimizer and the rest. The profiler itself
 *   slows a step (by 20-50% here), so read its figures as shares, and "step ms" from the trainings;
 * - "candidate": the stages' sum, and candidates per core-hour at that price.
 * The first lines are the Conv reference (conv_reference) and ORT's cost per node (dispatch), on
 * the same threads. A Markdown table of the same figures goes to stderr at the end.
 */
import { existsSync } from 'node:fs';
import { FASHION_MNIST_DIR, batches, readFashionMnist, syntheticDataset, trainValidationSplit, type Dataset } from '@evonorm/data';
import { FunctionalProbe, Rng, ZOO_NAMES, canonicalize, parseLayerGraph, zooLayer, type LayerGraph } from '@evonorm/graph';
import { architecture as buildArchitecture, type NetworkSpec } from '@evonorm/nets';
import { OnnxTrainer, TensorGraph, benchConv, createSession, ort, type ProfileSummary } from '@evonorm/onnx';
import { defineFlags } from '@evonorm/rpc';
import { stabilityTest, train, trainingFlops, type TrainResult } from '@evonorm/train';
import { scaleFor, type SearchPlan } from '../src/search/plan.js';
import { benchFail, parseBenchArgs } from './plan-args.js';

const OWN = defineFlags({
  layers: { type: 'list', values: ZOO_NAMES, default: ['bn-relu', 'evonorm-b0', 'evonorm-s0'], env: false, description: 'zoo layers measured' },
  threads: { type: 'int', min: 1, max: 256, default: 1, env: false, description: "ONNX Runtime threads (the main job's replicas have 1)" },
  'profile-steps': { type: 'int', min: 0, max: 1000, default: 12, env: false, description: 'steps of the profiled training (the first 2 are warm-up; 0: no profile)' },
  'fashion-mnist-dir': { type: 'string', env: false, description: 'Fashion-MNIST folder' },
});
const PROFILE_WARMUP = 2;

/** The profiler's scopes (network-tensors.ts, train-step.ts, gradients.ts) grouped for reading. */
const KINDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['conv_forward', ['conv', 'dwconv']],
  ['conv_grad_input', ['conv.grad-input', 'dwconv.grad-input']],
  ['conv_grad_weight', ['conv.grad-weight', 'dwconv.grad-weight']],
  ['layer_forward', ['layer']],
  ['layer_backward', ['layer.grad']],
  ['optimizer', ['optimizer']],
  // Nodes ORT inserted (layout reorders for its blocked NCHWc convolutions) or renamed when fusing.
  ['ort_inserted', ['ort']],
];

function fail(message: string): never {
  return benchFail('search:bench-cost', message);
}

const round = (v: number, digits = 3): number => Number(v.toFixed(digits));
const print = (line: Record<string, unknown>): void => console.log(JSON.stringify({ bench: 'cost', ...line }));

function byKind(profile: ProfileSummary): Record<string, number> {
  const out: Record<string, number> = {};
  let grouped = 0;
  for (const [kind, scopes] of KINDS) {
    out[kind] = scopes.reduce((sum, scope) => sum + (profile.byScope[scope] ?? 0), 0);
    grouped += out[kind]!;
  }
  out.other = profile.kernelMs - grouped;
  out.outside_kernels = Math.max(0, profile.runMs - profile.kernelMs);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, round(v, 2)]));
}

function loadDataset(plan: SearchPlan, dir: string | undefined): Dataset {
  if (plan.dataset === 'synthetic') return syntheticDataset({ seed: 1, shape: [1, 28, 28], train: 5000, test: 500 });
  if (plan.dataset === 'cifar10') fail('the cost benchmark runs on fashion_mnist or synthetic');
  const folder = dir ?? FASHION_MNIST_DIR;
  if (!existsSync(folder)) fail(`Fashion-MNIST is not in ${folder}: install dataset-fashion-mnist, pass --fashion-mnist-dir, or --dataset synthetic`);
  return readFashionMnist(folder);
}

/** One profiled training of `steps` steps on real batches; the steady-state step by kind. */
async function profileStep(spec: NetworkSpec, layer: LayerGraph, plan: SearchPlan, dataset: Dataset, threads: number, steps: number): Promise<ProfileSummary> {
  const rng = Rng.fromSeed(1);
  const { train: split } = trainValidationSplit(dataset, plan.validationExamples, rng);
  const stream = batches(dataset, split, plan.batchSize, rng);
  const level = process.env.EVONORM_GRAPH_OPTIMIZATION as 'all' | 'extended' | undefined;
  const trainer = await OnnxTrainer.create(spec, layer, { batch: plan.batchSize, seed: 1, threads, profile: true, ...(level ? { graphOptimization: level } : {}) });
  try {
    for (let i = 0; i < steps; i++) {
      const b = stream.next().value;
      await trainer.step(b.images, b.labels, 0.01);
    }
    return trainer.endProfiling(PROFILE_WARMUP);
  } finally {
    await trainer.release();
  }
}

/**
 * ORT's own cost of running one node, apart from its kernel's work: a chain of 1,000 Add/Sub nodes
 * on a 16-element tensor, in µs per node. Multiplied by a step's node count it bounds what running
 * several trainings as one graph (fewer, larger nodes) could save on this machine.
 */
async function dispatchMicros(threads: number): Promise<number> {
  const g = new TensorGraph('dispatch');
  const c = g.input('c', [1, 16, 1, 1]);
  let v = g.input('x', [1, 16, 1, 1]);
  const nodes = 1000;
  for (let i = 0; i < nodes; i++) v = i % 2 ? g.sub(v, c) : g.add(v, c);
  g.output(v, 'y');
  const session = await createSession(g.model(), { threads, graphOptimization: 'extended' });
  try {
    const feeds = { x: new ort.Tensor('float32', new Float32Array(16), [1, 16, 1, 1]), c: new ort.Tensor('float32', new Float32Array(16).fill(1), [1, 16, 1, 1]) };
    for (let i = 0; i < 5; i++) await session.run(feeds);
    const runs = 50;
    const started = performance.now();
    for (let i = 0; i < runs; i++) await session.run(feeds);
    const microsPerRun = ((performance.now() - started) * 1000) / runs;
    return microsPerRun / nodes;
  } finally {
    await session.release();
  }
}

async function main(): Promise<void> {
  const { values, plan } = parseBenchArgs<{ layers: string[]; threads: number; 'profile-steps': number; 'fashion-mnist-dir'?: string }>('search:bench-cost', process.argv.slice(2), OWN);
  const dataset = loadDataset(plan, values['fashion-mnist-dir']);
  const threads = values.threads;
  const started = performance.now();
  const conv = await benchConv({ threads });
  print({ type: 'conv_reference', threads, gflop_per_s: round(conv.gflop_per_s, 1), shape: conv.shape });
  const usPerNode = await dispatchMicros(threads);
  print({ type: 'dispatch', threads, us_per_node: round(usPerNode, 2) });
  const specs = new Map(
    plan.architectures.map((name) => [name, buildArchitecture(name, { input: dataset.shape, classes: dataset.classes, width: scaleFor(plan.width, name), depth: scaleFor(plan.depth, name) })]),
  );
  const stageRows: string[] = [];
  const trainingRows: string[] = [];
  const fraction = (spec: NetworkSpec, imagesPerS: number): number => (imagesPerS * trainingFlops(spec)) / 1e9 / conv.gflop_per_s;

  for (const name of values.layers) {
    const layer = zooLayer(name).graph;
    const stages: Array<{ stage: string; architecture?: string; seconds: number }> = [];
    const mark = performance.now();
    const probe = new FunctionalProbe();
    if (!parseLayerGraph(layer, { batchIndependent: plan.batchIndependent }).ok || !probe.probe(canonicalize(layer).graph).ok) fail(`${name} fails the screen`);
    stages.push({ stage: 'screen', seconds: (performance.now() - mark) / 1000 });

    if (plan.stabilitySteps > 0) {
      const arch = plan.architectures[0]!;
      const stability = await stabilityTest({ layer, dataset, seed: 1, architecture: specs.get(arch)!, steps: plan.stabilitySteps, threads, engine: 'onnx' });
      stages.push({ stage: 'stability', architecture: arch, seconds: stability.seconds });
    }
    const runTraining = async (stage: 'quality' | 'evaluation', arch: string, steps: number): Promise<TrainResult> => {
      const spec = specs.get(arch)!;
      const result = await train({
        network: spec,
        layer,
        dataset,
        steps,
        batchSize: plan.batchSize,
        seed: 1,
        engine: 'onnx',
        threads,
        learningRate: plan.learningRate,
        validationExamples: plan.validationExamples,
      });
      stages.push({ stage, architecture: arch, seconds: result.seconds });
      const phases = Object.fromEntries(Object.entries(result.phases).map(([k, v]) => [k, round(v)]));
      print({
        type: 'training',
        layer: name,
        stage,
        architecture: arch,
        steps: result.steps,
        seconds: round(result.seconds),
        phases,
        ms_per_step: round((1000 * result.phases.steps) / result.steps, 2),
        images_per_s: round(result.imagesPerSecond, 1),
        fraction_of_conv: round(fraction(spec, (result.steps * plan.batchSize) / result.phases.steps)),
        conv_gflop_per_s: round(conv.gflop_per_s, 1),
        accuracy: round(result.accuracy),
      });
      return result;
    };
    const qualities: TrainResult[] = [];
    if (plan.qualitySteps > 0) for (const arch of plan.architectures) qualities.push(await runTraining('quality', arch, plan.qualitySteps));
    const evaluations = [];
    for (const arch of plan.architectures) evaluations.push(await runTraining('evaluation', arch, plan.evaluationSteps));

    for (const stage of stages) print({ type: 'stage', layer: name, ...stage, seconds: round(stage.seconds) });
    const total = stages.reduce((sum, s) => sum + s.seconds, 0);
    print({ type: 'candidate', layer: name, threads, seconds: round(total), candidates_per_core_hour: round((3600 / total) * (1 / threads), 1) });
    const secondsOf = (stage: string): string =>
      stages
        .filter((s) => s.stage === stage)
        .map((s) => s.seconds.toFixed(1))
        .join(' / ') || '–';
    stageRows.push(`| ${name} | ${secondsOf('stability')} | ${secondsOf('quality')} | ${secondsOf('evaluation')} | ${total.toFixed(1)} | ${Math.round(3600 / total / threads)} |`);

    for (const arch of plan.architectures) {
      const spec = specs.get(arch)!;
      const evaluation = evaluations[plan.architectures.indexOf(arch)]!;
      const quality = qualities[plan.architectures.indexOf(arch)];
      const first = quality ?? evaluation;
      const cells = [
        name,
        arch,
        `${first.phases.build.toFixed(2)} + ${first.phases.session.toFixed(2)}`,
        ((1000 * evaluation.phases.steps) / evaluation.steps).toFixed(0),
        fraction(spec, (evaluation.steps * plan.batchSize) / evaluation.phases.steps).toFixed(3),
        evaluation.phases.evaluation.toFixed(2),
      ];
      if (values['profile-steps'] === 0) {
        trainingRows.push(`| ${cells.join(' | ')} | – | – | – | – |`);
        continue;
      }
      const profile = await profileStep(spec, layer, plan, dataset, threads, values['profile-steps']);
      const kinds = byKind(profile);
      const nodes = Object.values(profile.byOp).reduce((sum, op) => sum + op.nodes, 0);
      const top = Object.entries(profile.byOp)
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, 8)
        .map(([op, v]) => ({ op, ms: round(v.ms, 2), nodes: Math.round(v.nodes) }));
      print({
        type: 'profile',
        layer: name,
        architecture: arch,
        step_ms: round(profile.runMs, 2),
        kernel_ms: round(profile.kernelMs, 2),
        by_kind_ms: kinds,
        by_scope_ms: Object.fromEntries(Object.entries(profile.byScope).map(([k, v]) => [k, round(v, 2)])),
        fraction_of_conv: round(fraction(spec, (1000 * plan.batchSize) / profile.runMs)),
        nodes: Math.round(nodes),
        dispatch_ms: round((nodes * usPerNode) / 1000, 2),
        top_ops: top,
      });
      const share = (k: string): string => `${Math.round((100 * kinds[k]!) / profile.runMs)}%`;
      trainingRows.push(
        `| ${cells.join(' | ')} | ${share('conv_forward')} / ${share('conv_grad_input')} / ${share('conv_grad_weight')} | ${share('layer_forward')} / ${share('layer_backward')} | ${share('optimizer')} | ${share('other')} + ${share('outside_kernels')} |`,
      );
    }
  }
  print({ type: 'run', seconds: round((performance.now() - started) / 1000, 1), conv_gflop_per_s: round(conv.gflop_per_s, 1), threads });
  const archs = plan.architectures.join(' / ');
  console.error(
    [
      `Conv reference ${conv.gflop_per_s.toFixed(0)} GFLOP/s on ${threads} thread(s); ORT runs a node in ${usPerNode.toFixed(2)} µs apart from its kernel; batch ${plan.batchSize}; quality ${plan.qualitySteps}, evaluation ${plan.evaluationSteps} steps`,
      '',
      `| layer | stability s | quality s (${archs}) | evaluation s (${archs}) | candidate s | candidates per core-hour |`,
      '| --- | --- | --- | --- | --- | --- |',
      ...stageRows,
      '',
      '| layer | architecture | first training: build + session s | step ms | fraction of Conv | evaluation pass s | profiled step: conv fwd / dx / dW | layer fwd / bwd | optimizer | other + outside kernels |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...trainingRows,
    ].join('\n'),
  );
}

await main();
