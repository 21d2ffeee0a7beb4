/**
 * `evonorm compare`: the paper's central experiment, evolution against random search. One search
 * per strategy × seed (sub-folders <strategy>-seed<seed> of --dir), each `evonorm search` with the
 * same --candidates budget and the same search flags, run one after another so each has the
 * replicas to itself; then a rerank of every search's best against BN-ReLU on the test split.
 * Writes <dir>/compare.json: each search's best-so-far curve by candidate count and by training
 * seconds, its rejections, the mean curve per strategy over seeds (± 95% CI), and the rerank.
 * Resumable: running it again on the same --dir continues unfinished searches and skips finished ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSeed, structuralHash } from '@evonorm/graph';
import { FlagError, defineFlags, flagUsage, parseFlags, type FlagSpec } from '@evonorm/rpc';
import { meanCurve, searchCurve, type SearchCurve } from '../search/curves.js';
import { readHistory } from '../search/history.js';
import { PLAN_FLAGS, STRATEGIES } from '../search/plan.js';
import { topCandidates } from '../search/ranking.js';
import type { RerankLayer, RerankResult } from '../search/rerank.js';
import { recordPath } from '../search/run-folder.js';
import { rerankLayers, rerankTable, runRerank } from './rerank.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

const OWN_FLAGS = defineFlags({
  help: { type: 'boolean', env: false, description: 'print the flags and exit' },
  dir: { type: 'string', env: false, placeholder: 'dir', description: 'folder of the comparison (default runs/compare-<time>); again to continue it' },
  strategies: { type: 'list', values: STRATEGIES, default: ['evolve', 'random'], env: false, description: 'search strategies compared' },
  seeds: { type: 'int', min: 1, max: 100, default: 3, env: false, description: 'searches per strategy (search seeds --seed, --seed + 1, ...)' },
  seed: { type: 'string', default: '0', env: false, description: 'the first search seed' },
  candidates: { type: 'int', min: 1, max: 1_000_000, env: false, description: 'candidates per search (required)' },
  'rerank-seeds': { type: 'int', min: 1, max: 64, default: 3, env: false, description: "training seeds of the final rerank of each search's best against BN-ReLU" },
  'rerank-steps': { type: 'int', min: 0, max: 1_000_000, default: 1000, env: false, description: 'training steps of the final rerank (0: no rerank)' },
  replicas: { type: 'int', min: 1, max: 256, default: Math.min(256, availableParallelism()), description: 'local training replicas (each search and the rerank)' },
  'threads-per-replica': { type: 'int', min: 1, max: 256, default: 1, description: 'CPU threads of each local replica' },
  'fashion-mnist-dir': { type: 'string', placeholder: 'dir', description: 'Fashion-MNIST for the local services' },
  'cifar10-dir': { type: 'string', placeholder: 'dir', description: 'CIFAR-10 for the local services' },
  json: { type: 'boolean', env: false, description: 'print compare.json on stdout at the end' },
});

/** Search flags passed on to every search unchanged (the plan's, less what compare sets itself). */
const FORWARDED = Object.keys(PLAN_FLAGS).filter((f) => !['strategy', 'seed', 'candidates', 'minutes'].includes(f));
const BOOLEAN_FORWARDED = new Set(['batch-independent']);
const COMPARE_FLAGS: typeof OWN_FLAGS & Record<string, FlagSpec> = {
  ...Object.fromEntries(FORWARDED.map((f) => [f, BOOLEAN_FORWARDED.has(f) ? { type: 'boolean', env: false } : { type: 'string', env: false, description: 'passed to each search' }])),
  ...OWN_FLAGS,
};

export const COMPARE_USAGE = flagUsage(
  `usage: evonorm compare --candidates N [--strategies evolve,random] [--seeds 3] [--dir D] [search flags]
  runs one search per strategy and seed with equal budgets, one after another, then re-ranks each search's best
  against BN-ReLU; writes <dir>/compare.json. Search flags (--population, --evaluation-seeds, --dataset, ...) go to
  every search. Run it again with the same --dir to continue.`,
  OWN_FLAGS,
);

export interface SearchEntry extends SearchCurve {
  readonly name: string;
  readonly strategy: string;
  readonly seed: string;
  readonly dir: string;
  readonly candidates: number;
}

export interface CompareResult {
  readonly version: 1;
  readonly candidates: number;
  readonly strategies: readonly string[];
  readonly seeds: readonly string[];
  readonly searchFlags: readonly string[];
  readonly searches: readonly SearchEntry[];
  /** Per strategy: mean best-so-far over its seeds after each candidate count, ± 95% CI. */
  readonly summary: Readonly<Record<string, ReturnType<typeof meanCurve>>>;
  readonly rerank: RerankResult | null;
}

/**
 * Runs one search as a child process. It writes its events straight to the log (appended to when
 * a search resumes), so they survive whatever happens to this process. It runs in its own process
 * group, so a terminal's Ctrl-C reaches only this process, which passes each SIGINT or SIGTERM on
 * once: the search stops as it would on its own (the first signal finishes what is in flight, a
 * second quits at once), and this resolves with its exit code when it has.
 */
function runSearchProcess(args: readonly string[], logPath: string): Promise<number> {
  const log = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [CLI, 'search', ...args], { stdio: ['ignore', log, 'inherit'], detached: true });
  } finally {
    closeSync(log);
  }
  return new Promise((resolve, reject) => {
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const settle = (): void => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    };
    child.once('error', (error) => (settle(), reject(error)));
    child.once('exit', (code, signal) => (settle(), resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 1))));
  });
}

function timestamp(): string {
  return new Date().toISOString().slice(0, 19).replace(/:/g, '-');
}

export async function compareCommand(argv: string[]): Promise<number> {
  const { values, given } = parseFlags(argv, COMPARE_FLAGS, { env: process.env });
  if (values.help) {
    console.log(COMPARE_USAGE);
    return 0;
  }
  if (values.candidates === undefined) throw new FlagError(`--candidates N is required (the same budget for every search)\n${COMPARE_USAGE}`);
  let firstSeed: bigint;
  try {
    firstSeed = parseSeed(values.seed);
  } catch (error) {
    throw new FlagError(`--seed ${(error as Error).message}`);
  }
  const dir = values.dir ?? join('runs', `compare-${timestamp()}`);
  const searchFlags: string[] = [];
  for (const flag of FORWARDED) {
    if (!given.has(flag)) continue;
    const v = (values as Record<string, unknown>)[flag];
    if (BOOLEAN_FORWARDED.has(flag)) {
      if (v === true) searchFlags.push(`--${flag}`);
    } else searchFlags.push(`--${flag}`, String(v));
  }
  const serviceFlags = ['--replicas', String(values.replicas), '--threads-per-replica', String(values['threads-per-replica'])];
  if (values['fashion-mnist-dir']) serviceFlags.push('--fashion-mnist-dir', values['fashion-mnist-dir']);
  if (values['cifar10-dir']) serviceFlags.push('--cifar10-dir', values['cifar10-dir']);
  const seeds = Array.from({ length: values.seeds }, (_, s) => firstSeed + BigInt(s));

  // The comparison's identity: a later run must ask for the same searches.
  mkdirSync(dir, { recursive: true });
  const identity = { candidates: values.candidates, strategies: values.strategies, seeds: seeds.map(String), searchFlags };
  const identityPath = join(dir, 'compare-plan.json');
  if (existsSync(identityPath)) {
    const before = readFileSync(identityPath, 'utf8').trim();
    if (before !== JSON.stringify(identity)) throw new FlagError(`${dir} holds a comparison with other settings (${before}); use the same flags to continue it, or another --dir`);
  } else writeFileSync(identityPath, `${JSON.stringify(identity)}\n`);

  const entries: SearchEntry[] = [];
  for (const strategy of values.strategies) {
    for (const seed of seeds) {
      const name = `${strategy}-seed${seed}`;
      const sub = join(dir, name);
      const started = existsSync(recordPath(sub));
      const done = started ? (await readHistory(sub)).history.length >= values.candidates : false;
      if (!done) {
        console.error(`${started ? 'continuing' : 'running'} ${name} (${values.candidates} candidates)`);
        const args = started
          ? ['--resume', sub, '--json', ...serviceFlags]
          : ['--dir', sub, '--strategy', strategy, '--seed', String(seed), '--candidates', String(values.candidates), '--minutes', '0', '--json', ...searchFlags, ...serviceFlags];
        const code = await runSearchProcess(args, join(dir, `${name}.log`));
        if (code !== 0) {
          console.error(`${name} stopped (exit ${code}; its events are in ${join(dir, `${name}.log`)}); run the same command again to continue`);
          return code === 130 ? 130 : 1;
        }
      }
      const { history } = await readHistory(sub);
      entries.push({ name, strategy, seed: String(seed), dir: sub, candidates: history.length, ...searchCurve(history) });
    }
  }

  const summary = Object.fromEntries(values.strategies.map((s) => [s, meanCurve(entries.filter((e) => e.strategy === s).map((e) => e.byCandidates))]));
  let rerankResult: RerankResult | null = null;
  if (values['rerank-steps'] > 0) {
    const { record } = await readHistory(entries[0]!.dir);
    // One row per distinct layer (by canonical form): searches that start from the zoo often share
    // their best, and training it again would only add seeds to the same layer.
    const byHash = new Map<string, { layer: RerankLayer; searches: string[] }>();
    for (const entry of entries) {
      for (const layer of rerankLayers(topCandidates((await readHistory(entry.dir)).history, 1), [])) {
        const hash = structuralHash(layer.graph);
        const known = byHash.get(hash);
        if (known) known.searches.push(entry.name);
        else byHash.set(hash, { layer, searches: [entry.name] });
      }
    }
    const layers = [...byHash.values()].map(({ layer, searches }) => ({ ...layer, name: `${searches.join('+')}/${layer.name}` }));
    layers.push(...rerankLayers([], ['bn-relu']));
    console.error(`re-ranking the searches' ${layers.length - 1} distinct best layer(s) against BN-ReLU (${values['rerank-seeds']} seeds, ${values['rerank-steps']} steps)`);
    rerankResult = await runRerank(
      { plan: { ...record.plan, seed: firstSeed }, layers, architectures: record.plan.architectures, seeds: values['rerank-seeds'], steps: values['rerank-steps'] },
      { flags: { replicas: values.replicas, 'threads-per-replica': values['threads-per-replica'], 'fashion-mnist-dir': values['fashion-mnist-dir'], 'cifar10-dir': values['cifar10-dir'] }, dir },
    );
  }
  const result: CompareResult = { version: 1, ...identity, searches: entries, summary, rerank: rerankResult };
  writeFileSync(join(dir, 'compare.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (values.json) {
    console.log(JSON.stringify(result));
    return 0;
  }
  const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);
  console.log(`\n${dir}: ${values.strategies.join(' vs ')}, ${seeds.length} seed(s), ${values.candidates} candidates each`);
  for (const e of entries)
    console.log(
      `  ${e.name.padEnd(24)} best ${pct(e.best?.meanAccuracy)}  ${e.evaluated} evaluated, ${Math.round(e.trainingSeconds)} training s, rejections ${
        Object.entries(e.rejections)
          .map(([r, n]) => `${r} ${n}`)
          .join(' · ') || '—'
      }`,
    );
  for (const [strategy, curve] of Object.entries(summary)) {
    const last = curve.at(-1);
    if (last) console.log(`  ${strategy}: mean best after ${last.candidates} candidates ${pct(last.mean)}${last.halfWidth === null ? '' : ` ± ${(100 * last.halfWidth).toFixed(1)}`}`);
  }
  if (rerankResult) console.log(`\nrerank against BN-ReLU (test split):\n${rerankTable(rerankResult)}`);
  console.log(`\nwritten to ${join(dir, 'compare.json')}`);
  return 0;
}
