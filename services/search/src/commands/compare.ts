/**
 * `evonorm compare`: the paper's central experiment, evolution against random search. One search
 * per arm × seed (sub-folders <arm>-seed<seed> of --dir), each `evonorm search` with the same
 * --candidates budget and the same search flags, run one after another so each has the replicas
 * to itself; then a rerank of every search's best against BN-ReLU and EvoNorm-B0 (S0 for a
 * batch-independent search) on the test split. An arm is a
 * strategy, or with --vary a strategy under one value of a search flag (compare-arms.ts).
 * Writes <dir>/compare.json: each search's best-so-far curve by candidate count and by training
 * seconds, its rejections, the mean curves per arm over seeds (± 95% CI), and the rerank.
 * Resumable: running it again on the same --dir continues unfinished searches and skips finished ones.
 * Each finished or stopped search is also written as text (<arm>-seed<seed>/history.jsonl), so a
 * comparison committed without its SQLite stores continues on another machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSeed, structuralHash } from '@evonorm/graph';
import { FlagError, defineFlags, flagUsage, parseFlags, type FlagSpec } from '@evonorm/rpc';
import { compareArms, parseVary, type Arm } from '../search/compare-arms.js';
import { meanCurve, meanCurveBySeconds, searchCurve, type SearchCurve } from '../search/curves.js';
import { seedLeads, seedLeadsText, separation, separationText, type ArmSeparation, type SeedLead } from '../search/separation.js';
import { generalization, pooledGeneralization, type Generalization } from '../search/generalization.js';
import { readHistory } from '../search/history.js';
import { PLAN_FLAGS, PlanError, STRATEGIES } from '../search/plan.js';
import { topCandidates } from '../search/ranking.js';
import type { RerankLayer, RerankResult } from '../search/rerank.js';
import { archiveRun, recordPath, storePath } from '../search/run-folder.js';
import { rerankLayers, rerankTable, runRerank } from './rerank.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));

const OWN_FLAGS = defineFlags({
  help: { type: 'boolean', env: false, description: 'print the flags and exit' },
  dir: { type: 'string', env: false, placeholder: 'dir', description: 'folder of the comparison (default runs/compare-<time>); again to continue it' },
  strategies: { type: 'list', values: STRATEGIES, default: ['evolve', 'random'], env: false, description: 'search strategies compared' },
  vary: {
    type: 'string',
    env: false,
    placeholder: 'flag=a,b',
    description: 'also compare values of one search flag: each strategy runs once per value (e.g. adaptive-seeds=0,5)',
  },
  seeds: { type: 'int', min: 1, max: 100, default: 3, env: false, description: 'searches per arm (search seeds --seed, --seed + 1, ...)' },
  seed: { type: 'string', default: '0', env: false, description: 'the first search seed' },
  candidates: { type: 'int', min: 1, max: 1_000_000, env: false, description: 'candidates per search (required)' },
  'rerank-seeds': { type: 'int', min: 1, max: 64, default: 3, env: false, description: "training seeds of the final rerank of each search's best against BN-ReLU and EvoNorm" },
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
  `usage: evonorm compare --candidates N [--strategies evolve,random] [--vary flag=a,b] [--seeds 3] [--dir D] [search flags]
  runs one search per arm (a strategy, or a strategy under one --vary value) and seed with equal budgets, one after
  another, then re-ranks each search's best against BN-ReLU; writes <dir>/compare.json. Search flags (--population,
  --evaluation-seeds, --dataset, ...) go to every search. Run it again with the same --dir to continue.`,
  OWN_FLAGS,
);

export interface SearchEntry extends SearchCurve {
  readonly name: string;
  readonly arm: string;
  readonly strategy: string;
  readonly seed: string;
  readonly dir: string;
  readonly candidates: number;
  /** How often a layer in the top quarter on one proxy is in the bottom half on the other (null: too few layers). */
  readonly generalization: Generalization | null;
}

export interface CompareResult {
  readonly version: 1;
  readonly candidates: number;
  readonly strategies: readonly string[];
  /** --vary as given, when it was. */
  readonly vary?: string;
  readonly arms: readonly Arm[];
  readonly seeds: readonly string[];
  readonly searchFlags: readonly string[];
  /** The finished searches, arm by arm. */
  readonly searches: readonly SearchEntry[];
  /** Searches not finished yet (compare.json is written after each search); empty once all have run. */
  readonly pending: readonly string[];
  /** Per arm: mean best-so-far over its seeds after each candidate count, ± 95% CI. */
  readonly summary: Readonly<Record<string, ReturnType<typeof meanCurve>>>;
  /** Per arm: the same at equal training seconds (the same compute), up to the least any search of the comparison spent. */
  readonly summaryBySeconds: Readonly<Record<string, ReturnType<typeof meanCurveBySeconds>>>;
  /** Per arm: its searches' generalization counts pooled over seeds. */
  readonly generalization: Readonly<Record<string, Generalization | null>>;
  /** Per pair of arms: from which budget on one arm's mean best-so-far stays above the other's with the 95% intervals apart. */
  readonly separations: readonly ArmSeparation[];
  /** Per pair of arms: their searches of each seed compared candidate by candidate (same seed, same first draws). */
  readonly seedLeads: ReadonlyArray<{ readonly arms: readonly [string, string]; readonly seeds: readonly SeedLead[] }>;
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

/**
 * compare.json's content for the searches finished so far: listed arm by arm, each arm's seeds in
 * order, with the names of those still to run in `pending`. Arms are summarized over the seeds they
 * have finished, and the curve by seconds only up to the least any finished search spent.
 */
export function summarize(
  head: Pick<CompareResult, 'version' | 'candidates' | 'strategies' | 'vary' | 'arms' | 'seeds' | 'searchFlags' | 'rerank'>,
  order: ReadonlyArray<{ readonly name: string }>,
  finished: readonly SearchEntry[],
): CompareResult {
  const done = new Set(finished.map((e) => e.name));
  const ofArm = (arm: Arm): SearchEntry[] => finished.filter((e) => e.arm === arm.name);
  const searches = head.arms.flatMap(ofArm);
  const leastSeconds = Math.min(...finished.map((e) => e.trainingSeconds));
  const summary = Object.fromEntries(head.arms.map((arm) => [arm.name, meanCurve(ofArm(arm).map((e) => e.byCandidates))]));
  const summaryBySeconds = Object.fromEntries(
    head.arms.map((arm) => [
      arm.name,
      meanCurveBySeconds(
        ofArm(arm).map((e) => e.bySeconds),
        leastSeconds,
      ),
    ]),
  );
  const pooled = Object.fromEntries(head.arms.map((arm) => [arm.name, pooledGeneralization(ofArm(arm).map((e) => e.generalization ?? undefined)) ?? null]));
  const separations = head.arms.flatMap((a, i) =>
    head.arms.slice(i + 1).map((b) => ({
      arms: [a.name, b.name] as const,
      byCandidates: separation({ arm: a.name, curve: summary[a.name]! }, { arm: b.name, curve: summary[b.name]! }, (p) => p.candidates),
      bySeconds: separation({ arm: a.name, curve: summaryBySeconds[a.name]! }, { arm: b.name, curve: summaryBySeconds[b.name]! }, (p) => p.seconds),
    })),
  );
  const leads = separations.map(({ arms }) => ({ arms, seeds: seedLeads(arms, searches) }));
  return { ...head, searches, pending: order.filter((o) => !done.has(o.name)).map((o) => o.name), summary, summaryBySeconds, generalization: pooled, separations, seedLeads: leads };
}

function writeCompareJson(dir: string, result: CompareResult): void {
  // Through a temporary file and a rename, so that a reader never sees half of it.
  const path = join(dir, 'compare.json');
  writeFileSync(`${path}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
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
  const shared: Record<string, string> = {};
  for (const flag of FORWARDED) {
    if (!given.has(flag)) continue;
    const v = (values as Record<string, unknown>)[flag];
    if (BOOLEAN_FORWARDED.has(flag)) {
      if (v === true) searchFlags.push(`--${flag}`);
    } else searchFlags.push(`--${flag}`, String(v));
    shared[flag] = String(v);
  }
  let arms: Arm[];
  try {
    arms = compareArms(values.strategies, values.vary === undefined ? undefined : parseVary(values.vary), shared);
  } catch (error) {
    if (error instanceof PlanError) throw new FlagError(error.message);
    throw error;
  }
  const serviceFlags = ['--replicas', String(values.replicas), '--threads-per-replica', String(values['threads-per-replica'])];
  if (values['fashion-mnist-dir']) serviceFlags.push('--fashion-mnist-dir', values['fashion-mnist-dir']);
  if (values['cifar10-dir']) serviceFlags.push('--cifar10-dir', values['cifar10-dir']);
  const seeds = Array.from({ length: values.seeds }, (_, s) => firstSeed + BigInt(s));

  // The comparison's identity: a later run must ask for the same searches.
  mkdirSync(dir, { recursive: true });
  // (Without --vary the identity is what it was before --vary existed, so older comparisons continue.)
  const identity = { candidates: values.candidates, strategies: values.strategies, ...(values.vary === undefined ? {} : { vary: values.vary }), seeds: seeds.map(String), searchFlags };
  const identityPath = join(dir, 'compare-plan.json');
  if (existsSync(identityPath)) {
    const before = readFileSync(identityPath, 'utf8').trim();
    if (before !== JSON.stringify(identity)) throw new FlagError(`${dir} holds a comparison with other settings (${before}); use the same flags to continue it, or another --dir`);
  } else writeFileSync(identityPath, `${JSON.stringify(identity)}\n`);

  // Seed by seed, every arm of one seed before the next seed's: a comparison stopped part way holds
  // paired searches (the same seed under every arm), which compare.json already summarizes.
  const order = seeds.flatMap((seed) => arms.map((arm) => ({ arm, seed, name: `${arm.name}-seed${seed}` })));
  const entries: SearchEntry[] = [];
  const result = (rerank: RerankResult | null): CompareResult => summarize({ version: 1, ...identity, arms, rerank }, order, entries);
  for (const { arm, seed, name } of order) {
    const sub = join(dir, name);
    const started = existsSync(recordPath(sub));
    // A finished search's history is read once, here; one that runs is read again when it ends.
    let history = started ? (await readHistory(sub)).history : [];
    if (history.length < values.candidates) {
      console.error(`${started ? 'continuing' : 'running'} ${name} (${values.candidates} candidates)`);
      const args = started
        ? ['--resume', sub, '--json', ...serviceFlags]
        : ['--dir', sub, '--strategy', arm.strategy, '--seed', String(seed), '--candidates', String(values.candidates), '--minutes', '0', '--json', ...arm.flags, ...searchFlags, ...serviceFlags];
      const code = await runSearchProcess(args, join(dir, `${name}.log`));
      if (code !== 0) {
        // A stopped search as text too: it resumes from history.jsonl as from its store.
        if (existsSync(storePath(sub))) archiveRun(sub);
        console.error(`${name} stopped (exit ${code}; its events are in ${join(dir, `${name}.log`)}); run the same command again to continue`);
        return code === 130 ? 130 : 1;
      }
      history = (await readHistory(sub)).history;
    }
    // The search as text too (history.jsonl), so the comparison can be committed and continued elsewhere.
    if (existsSync(storePath(sub))) archiveRun(sub);
    entries.push({ name, arm: arm.name, strategy: arm.strategy, seed: String(seed), dir: sub, candidates: history.length, ...searchCurve(history), generalization: generalization(history) ?? null });
    // Written after every search, so that the searches finished so far can be read (and reported) while the rest run.
    writeCompareJson(dir, result(null));
  }

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
    // BN-ReLU is the reference of the paired differences; the paper's own layer is the bar to clear.
    const evonorm = record.plan.batchIndependent ? 'evonorm-s0' : 'evonorm-b0';
    layers.push(...rerankLayers([], ['bn-relu', evonorm]));
    console.error(`re-ranking the searches' ${layers.length - 2} distinct best layer(s) against BN-ReLU and ${evonorm} (${values['rerank-seeds']} seeds, ${values['rerank-steps']} steps)`);
    rerankResult = await runRerank(
      { plan: { ...record.plan, seed: firstSeed }, layers, architectures: record.plan.architectures, seeds: values['rerank-seeds'], steps: values['rerank-steps'] },
      { flags: { replicas: values.replicas, 'threads-per-replica': values['threads-per-replica'], 'fashion-mnist-dir': values['fashion-mnist-dir'], 'cifar10-dir': values['cifar10-dir'] }, dir },
    );
  }
  const final = result(rerankResult);
  writeCompareJson(dir, final);
  if (values.json) {
    console.log(JSON.stringify(final));
    return 0;
  }
  const { searches, summary, summaryBySeconds } = final;
  const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)}%`);
  console.log(`\n${dir}: ${arms.map((a) => a.name).join(' vs ')}, ${seeds.length} seed(s), ${values.candidates} candidates each`);
  const width = Math.max(...searches.map((e) => e.name.length)) + 2;
  for (const e of searches)
    console.log(
      `  ${e.name.padEnd(width)} best ${pct(e.best?.meanAccuracy)}  ${e.evaluated} evaluated, ${Math.round(e.trainingSeconds)} training s, rejections ${
        Object.entries(e.rejections)
          .map(([r, n]) => `${r} ${n}`)
          .join(' · ') || '—'
      }`,
    );
  const pm = (halfWidth: number | null): string => (halfWidth === null ? '' : ` ± ${(100 * halfWidth).toFixed(1)}`);
  for (const arm of arms) {
    const last = summary[arm.name]!.at(-1);
    const even = summaryBySeconds[arm.name]!.at(-1);
    if (last) console.log(`  ${arm.name}: mean best after ${last.candidates} candidates ${pct(last.mean)}${pm(last.halfWidth)}`);
    if (even) console.log(`  ${arm.name}: mean best after ${Math.round(even.seconds)} training s ${pct(even.mean)}${pm(even.halfWidth)}`);
    const g = final.generalization[arm.name];
    if (g) console.log(`  ${arm.name}: of ${g.topQuarter} layers in the top quarter on ${g.architectures[0]} or ${g.architectures[1]} (of ${g.layers}), ${g.flips} in the bottom half on the other`);
  }
  for (const s of final.separations) console.log(`  ${separationText(s)}`);
  for (const { arms: pair, seeds } of final.seedLeads) if (seeds.length > 0) console.log(`  ${seedLeadsText(pair, seeds)}`);
  if (rerankResult) console.log(`\nrerank against BN-ReLU and EvoNorm (test split):\n${rerankTable(rerankResult)}`);
  console.log(`\nwritten to ${join(dir, 'compare.json')}`);
  return 0;
}
