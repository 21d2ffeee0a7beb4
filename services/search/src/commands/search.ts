/** `evonorm search`: run (or resume) a search, in the embedded default or over remote services. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { FASHION_MNIST_DIR, FASHION_MNIST_INSTALL } from '@evonorm/data';
import { Objective, SelectionCriterion, layerJsonFromProto } from '@evonorm/contracts';
import { grpcBackend, type Addresses, type SearchBackend } from '../search/backend.js';
import type { SearchEvent } from '../search/events.js';
import { startLocalServices, type LocalServices } from '../search/local.js';
import { PlacementError, placeReplicas, visibleGpus, type ReplicaPlacement } from '../search/replicas.js';
import { PROVIDER_FLAGS, requireExecutionProvider } from '@evonorm/train';
import { runSearch, type SearchSummary } from '../search/loop.js';
import { DEFAULT_PLAN, PLAN_FLAGS, PlanError, planFrom, scaleText, validatePlan, type SearchPlan } from '../search/plan.js';
import { toJson } from '../search/json.js';
import { jsonSink, liveSink, lineSink, type ProgressSink } from '../search/progress.js';
import { candidateTable, topCandidates } from '../search/ranking.js';
import { archivePath, defaultRunDir, numericsChange, readRun, recordPath, restoreRunStore, storePath, writeRun, type RunRecord } from '../search/run-folder.js';
import { writeLiveServices } from '../report/environment.js';
import { CLIENT_TLS_FLAGS, FlagError, channelCredentials, clientTlsOf, defineFlags, flagUsage, parseFlags, type FlagSpec, type FlagValues } from '@evonorm/rpc';

export const SEARCH_USAGE = `usage: evonorm search [--dir runs/<time>] [--json] [method and budget flags]
       evonorm search --resume <dir> [--candidates N] [--minutes M] [--json]
  method:   --strategy evolve|random  --population ${DEFAULT_PLAN.population}  --tournament-fraction ${DEFAULT_PLAN.tournamentFraction}
            --criterion average|pareto  --batch-independent  --init-zoo true|false  --seed ${DEFAULT_PLAN.seed}
            --objectives ${DEFAULT_PLAN.objectives.join(',')} (accuracy,cost: tournaments also prefer cheaper layers, by the inference cost ratio)
  proxies:  --engine auto|onnx|tfjs  --dataset fashion_mnist|cifar10|synthetic  --architectures ${DEFAULT_PLAN.architectures.join(',')}
            --width ${scaleText(DEFAULT_PLAN.width)}  --depth ${scaleText(DEFAULT_PLAN.depth)}
            (one multiplier for all, or per architecture)  --batch-size ${DEFAULT_PLAN.batchSize}  --learning-rate ${DEFAULT_PLAN.learningRate}
            --stability-steps ${DEFAULT_PLAN.stabilitySteps}  --micro-steps ${DEFAULT_PLAN.microSteps}  --micro-min-accuracy ${DEFAULT_PLAN.microMinAccuracy}
            (the micro-quality rung, first: the first proxy at half resolution; 0 steps: off)  --quality-steps ${DEFAULT_PLAN.qualitySteps}  --min-accuracy ${DEFAULT_PLAN.minAccuracy}  --quality-tries ${DEFAULT_PLAN.qualityTries}
            --quality-rung ${DEFAULT_PLAN.qualityRung} (the quality test is the first rung of the evaluation's seed-0 trainings)
            --rung-statistics ${DEFAULT_PLAN.rungStatistics} (how the rung scores: batch, each validation batch's own statistics; moving, the moving averages)
            --promotion-fraction ${DEFAULT_PLAN.promotionFraction} (F < 1: only layers whose rung score is in the best F of earlier ones train on)
            --evaluation-steps ${DEFAULT_PLAN.evaluationSteps}  --validation-examples ${DEFAULT_PLAN.validationExamples}
            --measure-cost ${DEFAULT_PLAN.measureCost} (time each evaluated layer's ONNX export against BN-ReLU on a replica)
            --max-cost-ratio ${DEFAULT_PLAN.maxCostRatio} (R > 0: the cost rung, before any training, rejects layers over R × BN-ReLU)
  seeds:    --evaluation-seeds ${DEFAULT_PLAN.evaluationSeeds} (training seeds per architecture; fitness is their mean, shown ± 95% CI)
            --adaptive-seeds ${DEFAULT_PLAN.adaptiveSeeds} (0: off; N: candidates that might lead get seeds up to N until the CI
            half-width is at most --adaptive-half-width ${DEFAULT_PLAN.adaptiveHalfWidth})
  budget:   --candidates N (0: none)  --minutes ${DEFAULT_PLAN.minutes} (0: none)  --concurrency ${DEFAULT_PLAN.concurrency}
  services: none given: all start locally, one training replica per core (--replicas N, --threads-per-replica 1,
            --fashion-mnist-dir D, --cifar10-dir D), or with --ep cuda --replicas-per-gpu 2 on each visible GPU
            (--device N: that GPU only); or all of --selection, --mutation, --rejection host:port
            and --training host:port[,host:port...] | dns:///name:port (least busy first, failover;
            --training-slots 1: trainings kept on one address at a time; TLS to them: --tls-ca, and
            --tls-cert --tls-key where they require client certificates; EVONORM_TLS_CA/CERT/KEY)
Ctrl-C stops cleanly (finished candidates are kept); --resume continues a stopped or killed search.
Flags other than --dir, --resume and --json also read EVONORM_<FLAG> (e.g. EVONORM_TRAINING);
evonorm search --help lists them all.`;

const BUDGET_FLAGS = new Set(['candidates', 'minutes']);
const BOOLEAN_PLAN_FLAGS = new Set(['batch-independent']);

const COMMAND_FLAGS = defineFlags({
  help: { type: 'boolean', env: false, description: 'print every flag and exit' },
  dir: { type: 'string', env: false, placeholder: 'dir', description: 'run folder (default runs/<time>)' },
  resume: { type: 'string', env: false, placeholder: 'dir', description: 'continue the search in this run folder' },
  json: { type: 'boolean', env: false, description: 'JSON lines on stdout instead of the live view' },
  top: { type: 'int', min: 1, default: 5, description: 'layers shown at the end' },
  selection: { type: 'string', placeholder: 'host:port', description: 'remote selection service' },
  mutation: { type: 'string', placeholder: 'host:port', description: 'remote mutation service' },
  rejection: { type: 'string', placeholder: 'host:port', description: 'remote rejection service' },
  training: { type: 'string', placeholder: 'host:port[,host:port...]|dns:///name:port', description: 'remote training replicas' },
  replicas: { type: 'int', min: 1, max: 256, default: Math.min(256, availableParallelism()), description: 'local training replicas' },
  'training-slots': { type: 'int', min: 1, max: 1024, default: 1, description: 'trainings kept on one training address at a time' },
  'threads-per-replica': { type: 'int', min: 1, max: 256, default: 1, description: 'CPU threads of each local replica' },
  ep: { ...PROVIDER_FLAGS.ep, description: 'where local training replicas train (cuda: --replicas-per-gpu on each visible GPU)' },
  device: { type: 'int', min: 0, description: 'with --ep cuda: only this GPU (default every visible one)' },
  'replicas-per-gpu': { type: 'int', min: 1, max: 64, default: 2, description: 'local training replicas per GPU with --ep cuda (not measured yet: no GPU was available)' },
  'fashion-mnist-dir': { type: 'string', placeholder: 'dir', description: 'Fashion-MNIST for the local services' },
  'cifar10-dir': { type: 'string', placeholder: 'dir', description: 'CIFAR-10 for the local services' },
  ...CLIENT_TLS_FLAGS,
});

/** The plan's flags (parsed and checked by plan.ts, which names the flag of a bad value). */
const PLAN_SPECS: Record<string, FlagSpec> = Object.fromEntries(
  Object.keys(PLAN_FLAGS).map((flag) => [flag, BOOLEAN_PLAN_FLAGS.has(flag) ? { type: 'boolean' } : { type: 'string', description: 'see above' }]),
);

export const SEARCH_FLAGS: typeof COMMAND_FLAGS & Record<string, FlagSpec> = { ...PLAN_SPECS, ...COMMAND_FLAGS };

interface Parsed {
  readonly values: FlagValues<typeof COMMAND_FLAGS>;
  /** Plan flags as text, as plan.ts reads them (booleans as "true"/"false"). */
  readonly flags: Record<string, string | undefined>;
  /** Flags given on the command line (not from EVONORM_* variables). */
  readonly given: ReadonlySet<string>;
}

function parse(argv: string[]): Parsed {
  const { values, given } = parseFlags(argv, SEARCH_FLAGS, { env: process.env });
  const flags: Record<string, string | undefined> = {};
  for (const flag of Object.keys(PLAN_FLAGS)) {
    const v = (values as Record<string, unknown>)[flag];
    flags[flag] = v === undefined ? undefined : String(v);
  }
  return { values: values as FlagValues<typeof COMMAND_FLAGS>, flags, given };
}

function remoteAddresses(values: Parsed['values']): Addresses | undefined {
  const names = ['selection', 'mutation', 'rejection', 'training'] as const;
  const given = names.filter((k) => values[k]);
  if (given.length === 0) return undefined;
  if (given.length < 4) throw new FlagError(`give all of --selection, --mutation, --rejection and --training, or none (to start them locally); missing: ${names.filter((k) => !values[k]).join(', ')}`);
  return { selection: values.selection!, mutation: values.mutation!, rejection: values.rejection!, training: values.training! };
}

const CRITERION_NAMES: Record<number, string> = { [SelectionCriterion.SELECTION_CRITERION_AVERAGE]: 'average', [SelectionCriterion.SELECTION_CRITERION_PARETO]: 'pareto' };

/** A remote selection service owns the population's parameters: the plan must agree with them. */
async function checkSelection(backend: SearchBackend, plan: SearchPlan): Promise<void> {
  const { config } = await backend.getSearch();
  if (!config) return;
  const differences: string[] = [];
  if (config.populationSize !== plan.population) differences.push(`population ${config.populationSize} (plan ${plan.population})`);
  if (Math.abs(config.tournamentFraction - plan.tournamentFraction) > 1e-12) differences.push(`tournament fraction ${config.tournamentFraction} (plan ${plan.tournamentFraction})`);
  if (CRITERION_NAMES[config.criterion] !== plan.criterion) differences.push(`criterion ${CRITERION_NAMES[config.criterion]} (plan ${plan.criterion})`);
  const objectives = config.objectives.length === 0 ? 'accuracy' : config.objectives.map((o) => (o === Objective.OBJECTIVE_COST ? 'cost' : 'accuracy')).join(',');
  if (objectives !== plan.objectives.join(',')) differences.push(`objectives ${objectives} (plan ${plan.objectives.join(',')})`);
  if (config.batchIndependent !== plan.batchIndependent) differences.push(`batch-independent ${config.batchIndependent} (plan ${plan.batchIndependent})`);
  if (config.architectures.join(',') !== plan.architectures.join(',')) differences.push(`architectures ${config.architectures.join(',')} (plan ${plan.architectures.join(',')})`);
  if (differences.length > 0) {
    throw new FlagError(`the selection service was started for a different search: ${differences.join('; ')}. Start it with the same flags, or pass matching ones here.`);
  }
}

function sinkFor(json: boolean, plan: SearchPlan): ProgressSink {
  if (json) return jsonSink();
  return process.stdout.isTTY ? liveSink(plan) : lineSink();
}

export async function searchCommand(argv: string[]): Promise<number> {
  const { values, flags, given } = parse(argv);
  if (values.help) {
    console.log(`${SEARCH_USAGE}\n\n${flagUsage('every flag of evonorm search:', COMMAND_FLAGS)}`);
    return 0;
  }
  const json = values.json === true;
  let dir: string;
  let plan: SearchPlan;
  let addresses = remoteAddresses(values);
  let resumed: RunRecord | undefined;
  try {
    if (values.resume) {
      dir = values.resume;
      const record = readRun(dir);
      resumed = record;
      const changed = Object.keys(PLAN_FLAGS).filter((f) => given.has(f) && !BUDGET_FLAGS.has(f) && !(BOOLEAN_PLAN_FLAGS.has(f) && flags[f] === 'false'));
      if (changed.length > 0) throw new FlagError(`--resume continues the search as planned; only --candidates and --minutes may change (got --${changed.join(', --')})`);
      plan = validatePlan({
        ...record.plan,
        ...(flags.candidates !== undefined ? { candidates: Number(flags.candidates) } : {}),
        ...(flags.minutes !== undefined ? { minutes: Number(flags.minutes) } : {}),
      });
      addresses ??= record.addresses;
      // A folder carried as text (committed with an experiment's results) gets its store back.
      const restored = addresses ? undefined : restoreRunStore(dir);
      if (restored !== undefined) console.error(`rebuilt ${storePath(dir)} from ${archivePath(dir)} (${restored} candidates)`);
    } else {
      dir = values.dir ?? defaultRunDir();
      if (existsSync(recordPath(dir))) throw new FlagError(`${dir} already holds a search; continue it with: evonorm search --resume ${dir}`);
      plan = planFrom(flags);
    }
  } catch (error) {
    if (error instanceof PlanError) throw new FlagError(error.message);
    throw error;
  }
  const {
    replicas,
    'threads-per-replica': threads,
    ep,
    device,
    'replicas-per-gpu': replicasPerGpu,
    top,
    'training-slots': slots,
    'fashion-mnist-dir': fashionMnistDir,
    'cifar10-dir': cifar10Dir,
  } = values;
  const tls = clientTlsOf(values);
  const tlsGiven = (['tls-ca', 'tls-cert', 'tls-key'] as const).filter((f) => given.has(f));
  if (!addresses && tlsGiven.length > 0)
    throw new FlagError(`--${tlsGiven[0]} is for remote services (--selection, --mutation, --rejection, --training); the services a search starts itself talk over loopback in plaintext`);
  const channel = channelCredentials(addresses ? tls : {});
  if (!addresses && plan.dataset === 'fashion_mnist' && !existsSync(fashionMnistDir ?? FASHION_MNIST_DIR)) {
    console.error(
      `evonorm: Fashion-MNIST is not installed (looked in ${fashionMnistDir ?? FASHION_MNIST_DIR}).\nInstall it with:\n  ${FASHION_MNIST_INSTALL}\nor pass --fashion-mnist-dir <folder>, or search on --dataset synthetic.`,
    );
    return 2;
  }
  if (!addresses && plan.dataset === 'cifar10' && !cifar10Dir) throw new FlagError('--dataset cifar10 needs --cifar10-dir <folder with data_batch_1.bin ... test_batch.bin>');
  if (addresses && (given.has('ep') || given.has('device') || given.has('replicas-per-gpu'))) {
    throw new FlagError('--ep, --device and --replicas-per-gpu place the training replicas a search starts itself; remote replicas take --ep and --device when they are started');
  }
  // Asked for CUDA, the search stops here with what is missing, before any replica starts.
  if (!addresses) await requireExecutionProvider(ep, device ?? 0, (message) => new FlagError(message));
  let placement: ReplicaPlacement;
  try {
    placement = placeReplicas({
      ep,
      cores: availableParallelism(),
      replicas,
      threadsPerReplica: threads,
      ...(ep === 'cuda' ? { gpus: visibleGpus(), replicasPerGpu, ...(device !== undefined ? { device } : {}) } : {}),
    });
  } catch (error) {
    if (error instanceof PlacementError) throw new FlagError(error.message);
    throw error;
  }
  const numerics = addresses ? undefined : { ep: placement.ep, threadsPerReplica: placement.threadsPerReplica, rejectionThreads: placement.rejectionThreads };
  if (!resumed) writeRun(dir, { version: 1, plan, ...(addresses ? { addresses } : {}), ...(numerics ? { numerics } : {}), createdUnixMs: Date.now() });
  const changed = numerics && numericsChange(resumed?.numerics, numerics);
  if (changed) console.error(`evonorm: warning: ${changed}`);

  const sink = sinkFor(json, plan);
  const hardStop = new AbortController();
  const interrupt = new AbortController();
  const onSigint = (): void => {
    if (!interrupt.signal.aborted) {
      if (!json) process.stderr.write('\nstopping: cancelling work in flight and keeping what is finished (Ctrl-C again to quit at once)\n');
      interrupt.abort();
    } else {
      hardStop.abort();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);

  let local: LocalServices | undefined;
  let backend: SearchBackend | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    if (!addresses) {
      local = await startLocalServices({
        dir,
        plan,
        placement,
        ...(fashionMnistDir ? { fashionMnistDir: resolve(fashionMnistDir) } : {}),
        ...(cifar10Dir ? { cifar10Dir: resolve(cifar10Dir) } : {}),
        onRestart: (name, code, signal) => sink.event({ type: 'retry', service: name, method: 'process', code: String(signal ?? code), detail: 'exited; restarting it', attempt: 1 }),
      });
      addresses = local.addresses;
    }
    const b = grpcBackend(addresses, hardStop.signal, (notice) => sink.event({ type: 'retry', ...notice }), slots, local ? channelCredentials() : channel);
    backend = b;
    writeLiveServices(dir, {
      selection: addresses.selection,
      training: addresses.training,
      replicas: addresses.training.split(',').length,
      embedded: local !== undefined,
      pid: process.pid,
      startedUnixMs: Date.now(),
      engine: plan.engine,
      ...(local ? { executionProvider: placement.ep, ...(placement.devices ? { devices: placement.devices } : {}) } : {}),
    });
    await checkSelection(b, plan);
    const summaryHolder: { stats?: SearchSummary['stats'] } = {};
    ticker = setInterval(() => summaryHolder.stats && sink.tick(summaryHolder.stats, b.replicas()), json ? 10_000 : 1000);
    const summary = await runSearch({
      plan,
      backend: b,
      interrupt: interrupt.signal,
      dir,
      trainingLabel: local ? `${placement.replicas} local replica(s)${placement.ep === 'cuda' ? ` on GPU ${[...new Set(placement.devices)].join(',')}` : ''}` : addresses.training,
      onEvent: (event: SearchEvent) => sink.event(event),
      onStats: (stats) => (summaryHolder.stats = stats),
    });
    clearInterval(ticker);
    sink.tick(summary.stats, b.replicas());
    const history = await b.history();
    const best = topCandidates(history, top);
    if (json) {
      process.stdout.write(
        `${toJson({ type: 'top', dir, candidates: best.map((c) => ({ id: c.id, meanAccuracy: c.fitness!.meanAccuracy, scores: c.fitness!.scores, formula: c.formula?.text ?? '', graph: layerJsonFromProto(c.graph) })), see: { report: `evonorm report ${dir}`, dashboard: `evonorm dashboard ${dir}` } })}\n`,
      );
    } else {
      console.log(`\nbest layers of ${dir} (${history.length} candidates, ${history.filter((c) => c.fitness).length} evaluated):\n${candidateTable(best)}`);
      console.log(`\nmore: evonorm top ${dir}   export: evonorm export --from ${dir} --top 3   continue: evonorm search --resume ${dir}`);
      console.log(`see it: evonorm report ${dir}  (one HTML file)   live: evonorm dashboard ${dir}  (while a search runs)`);
    }
    return summary.stopReason === 'interrupted' ? 130 : 0;
  } finally {
    if (ticker) clearInterval(ticker);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    backend?.close();
    await local?.stop();
    sink.close();
  }
}
