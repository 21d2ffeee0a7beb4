/** `evonorm search`: run (or resume) a search, in the embedded default or over remote services. */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FASHION_MNIST_DIR, FASHION_MNIST_INSTALL } from '@evonorm/data';
import { SelectionCriterion } from '@evonorm/contracts';
import { grpcBackend, type Addresses, type SearchBackend } from '../search/backend.js';
import type { SearchEvent } from '../search/events.js';
import { startLocalServices, type LocalServices } from '../search/local.js';
import { runSearch, type SearchSummary } from '../search/loop.js';
import { DEFAULT_PLAN, PLAN_FLAGS, PlanError, planFrom, scaleText, validatePlan, type SearchPlan } from '../search/plan.js';
import { jsonSink, liveSink, lineSink, type ProgressSink } from '../search/progress.js';
import { candidateTable, topCandidates } from '../search/ranking.js';
import { defaultRunDir, readRun, recordPath, writeRun } from '../search/run-folder.js';
import { UsageError } from '../layers.js';

export const SEARCH_USAGE = `usage: evonorm search [--dir runs/<time>] [--json] [method and budget flags]
       evonorm search --resume <dir> [--candidates N] [--minutes M] [--json]
  method:   --strategy evolve|random  --population ${DEFAULT_PLAN.population}  --tournament-fraction ${DEFAULT_PLAN.tournamentFraction}
            --criterion average|pareto  --batch-independent  --init-zoo true|false  --seed ${DEFAULT_PLAN.seed}
  proxies:  --engine auto|onnx|tfjs  --dataset fashion_mnist|cifar10|synthetic  --architectures ${DEFAULT_PLAN.architectures.join(',')}
            --width ${scaleText(DEFAULT_PLAN.width)}  --depth ${scaleText(DEFAULT_PLAN.depth)}
            (one multiplier for all, or per architecture)  --batch-size ${DEFAULT_PLAN.batchSize}  --learning-rate ${DEFAULT_PLAN.learningRate}
            --stability-steps ${DEFAULT_PLAN.stabilitySteps}  --quality-steps ${DEFAULT_PLAN.qualitySteps}  --min-accuracy ${DEFAULT_PLAN.minAccuracy}
            --evaluation-steps ${DEFAULT_PLAN.evaluationSteps}  --validation-examples ${DEFAULT_PLAN.validationExamples}
  budget:   --candidates N (0: none)  --minutes ${DEFAULT_PLAN.minutes} (0: none)  --concurrency ${DEFAULT_PLAN.concurrency}
  services: none given: all start locally, one training replica per core (--replicas N, --threads-per-replica 1,
            --fashion-mnist-dir D, --cifar10-dir D); or all of --selection, --mutation, --rejection host:port
            and --training host:port[,host:port...] | dns:///name:port (least busy first, failover;
            --training-slots 1: trainings kept on one address at a time)
Ctrl-C stops cleanly (finished candidates are kept); --resume continues a stopped or killed search.`;

const BUDGET_FLAGS = new Set(['candidates', 'minutes']);
const BOOLEAN_PLAN_FLAGS = new Set(['batch-independent']);

interface Parsed {
  readonly flags: Record<string, string | undefined>;
  readonly json: boolean;
}

function parse(argv: string[]): Parsed {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    dir: { type: 'string' },
    resume: { type: 'string' },
    json: { type: 'boolean' },
    selection: { type: 'string' },
    mutation: { type: 'string' },
    rejection: { type: 'string' },
    training: { type: 'string' },
    replicas: { type: 'string' },
    'training-slots': { type: 'string' },
    'threads-per-replica': { type: 'string' },
    'fashion-mnist-dir': { type: 'string' },
    'cifar10-dir': { type: 'string' },
    top: { type: 'string' },
  };
  for (const flag of Object.keys(PLAN_FLAGS)) options[flag] = { type: BOOLEAN_PLAN_FLAGS.has(flag) ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${SEARCH_USAGE}`);
  }
  const flags: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(values)) flags[k] = typeof v === 'boolean' ? String(v) : v;
  return { flags, json: values.json === true };
}

function remoteAddresses(flags: Record<string, string | undefined>): Addresses | undefined {
  const given = ['selection', 'mutation', 'rejection', 'training'].filter((k) => flags[k]);
  if (given.length === 0) return undefined;
  if (given.length < 4) throw new UsageError(`give all of --selection, --mutation, --rejection and --training, or none (to start them locally); missing: ${['selection', 'mutation', 'rejection', 'training'].filter((k) => !flags[k]).join(', ')}`);
  return { selection: flags.selection!, mutation: flags.mutation!, rejection: flags.rejection!, training: flags.training! };
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
  if (config.batchIndependent !== plan.batchIndependent) differences.push(`batch-independent ${config.batchIndependent} (plan ${plan.batchIndependent})`);
  if (config.architectures.join(',') !== plan.architectures.join(',')) differences.push(`architectures ${config.architectures.join(',')} (plan ${plan.architectures.join(',')})`);
  if (differences.length > 0) {
    throw new UsageError(`the selection service was started for a different search: ${differences.join('; ')}. Start it with the same flags, or pass matching ones here.`);
  }
}

function sinkFor(json: boolean, plan: SearchPlan): ProgressSink {
  if (json) return jsonSink();
  return process.stdout.isTTY ? liveSink(plan) : lineSink();
}

export async function searchCommand(argv: string[]): Promise<number> {
  const { flags, json } = parse(argv);
  let dir: string;
  let plan: SearchPlan;
  let addresses = remoteAddresses(flags);
  try {
    if (flags.resume) {
      dir = flags.resume;
      const record = readRun(dir);
      const changed = Object.keys(PLAN_FLAGS).filter((f) => flags[f] !== undefined && !BUDGET_FLAGS.has(f) && !(BOOLEAN_PLAN_FLAGS.has(f) && flags[f] === 'false'));
      if (changed.length > 0) throw new UsageError(`--resume continues the search as planned; only --candidates and --minutes may change (got --${changed.join(', --')})`);
      plan = validatePlan({
        ...record.plan,
        ...(flags.candidates !== undefined ? { candidates: Number(flags.candidates) } : {}),
        ...(flags.minutes !== undefined ? { minutes: Number(flags.minutes) } : {}),
      });
      addresses ??= record.addresses;
    } else {
      dir = flags.dir ?? defaultRunDir();
      if (existsSync(recordPath(dir))) throw new UsageError(`${dir} already holds a search; continue it with: evonorm search --resume ${dir}`);
      plan = planFrom(flags);
    }
  } catch (error) {
    if (error instanceof PlanError) throw new UsageError(error.message);
    throw error;
  }
  const replicas = Number(flags.replicas ?? availableParallelism());
  const threads = Number(flags['threads-per-replica'] ?? 1);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 256) throw new UsageError('--replicas must be an integer in 1..256');
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new UsageError('--threads-per-replica must be an integer in 1..256');
  const top = Number(flags.top ?? 5);
  const slots = Number(flags['training-slots'] ?? 1);
  if (!Number.isInteger(slots) || slots < 1 || slots > 1024) throw new UsageError('--training-slots must be an integer in 1..1024');
  if (!addresses && plan.dataset === 'fashion_mnist' && !existsSync(flags['fashion-mnist-dir'] ?? FASHION_MNIST_DIR)) {
    console.error(`evonorm: Fashion-MNIST is not installed (looked in ${flags['fashion-mnist-dir'] ?? FASHION_MNIST_DIR}).\nInstall it with:\n  ${FASHION_MNIST_INSTALL}\nor pass --fashion-mnist-dir <folder>, or search on --dataset synthetic.`);
    return 2;
  }
  if (!addresses && plan.dataset === 'cifar10' && !flags['cifar10-dir']) throw new UsageError('--dataset cifar10 needs --cifar10-dir <folder with data_batch_1.bin ... test_batch.bin>');
  if (!flags.resume) writeRun(dir, { version: 1, plan, ...(addresses ? { addresses } : {}), createdUnixMs: Date.now() });

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
        replicas,
        threadsPerReplica: threads,
        ...(flags['fashion-mnist-dir'] ? { fashionMnistDir: resolve(flags['fashion-mnist-dir']) } : {}),
        ...(flags['cifar10-dir'] ? { cifar10Dir: resolve(flags['cifar10-dir']) } : {}),
        onRestart: (name, code, signal) => sink.event({ type: 'retry', service: name, method: 'process', code: String(signal ?? code), detail: 'exited; restarting it', attempt: 1 }),
      });
      addresses = local.addresses;
    }
    const b = grpcBackend(addresses, hardStop.signal, (notice) => sink.event({ type: 'retry', ...notice }), slots);
    backend = b;
    await checkSelection(b, plan);
    const summaryHolder: { stats?: SearchSummary['stats'] } = {};
    ticker = setInterval(() => summaryHolder.stats && sink.tick(summaryHolder.stats, b.replicas()), json ? 10_000 : 1000);
    const summary = await runSearch({
      plan,
      backend: b,
      interrupt: interrupt.signal,
      dir,
      trainingLabel: local ? `${replicas} local replica(s)` : addresses.training,
      onEvent: (event: SearchEvent) => sink.event(event),
      onStats: (stats) => (summaryHolder.stats = stats),
    });
    clearInterval(ticker);
    sink.tick(summary.stats, b.replicas());
    const history = await b.history();
    const best = topCandidates(history, top);
    if (json) {
      process.stdout.write(`${JSON.stringify({ type: 'top', dir, candidates: best.map((c) => ({ id: c.id, meanAccuracy: c.fitness!.meanAccuracy, scores: c.fitness!.scores, formula: c.formula?.text ?? '' })) })}\n`);
    } else {
      console.log(`\nbest layers of ${dir} (${history.length} candidates, ${history.filter((c) => c.fitness).length} evaluated):\n${candidateTable(best)}`);
      console.log(`\nmore: evonorm top ${dir}   export: evonorm export --from ${dir} --top 3   continue: evonorm search --resume ${dir}`);
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
