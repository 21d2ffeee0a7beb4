/**
 * `evonorm rerank <dir>`: the paper re-ranks its top layers by longer training. The top N of a
 * search and the baselines are trained for --steps on --seeds seeds on every architecture (the
 * plan's, or --architectures, where those the search did not use are held out), each training a
 * call on the training replicas (started locally, one per core, or --training addresses), and scored
 * on the dataset's test split, which the search never saw. For each layer and architecture: mean ±
 * 95% CI, and the difference to BN-ReLU paired by seed. Results go to <dir>/rerank.json.
 */
import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { graphFromProto } from '@evonorm/contracts';
import { ZOO_NAMES, zooLayer } from '@evonorm/graph';
import { ARCHITECTURES, isArchitecture } from '@evonorm/nets';
import { CLIENT_TLS_FLAGS, FlagError, TrainingPool, channelCredentials, clientTlsOf, defineFlags, flagUsage, parseFlags, trainingTargets } from '@evonorm/rpc';
import { readHistory } from '../search/history.js';
import { topCandidates } from '../search/ranking.js';
import { rerank, type RerankLayer, type RerankOptions, type RerankResult } from '../search/rerank.js';
import { intervalText } from '../search/statistics.js';
import { startTrainingReplicas } from '../search/training-replicas.js';
import { PROVIDER_FLAGS, requireExecutionProvider } from '@evonorm/train';

const RERANK_FLAGS = defineFlags({
  top: { type: 'int', min: 0, default: 5, env: false, description: "the search's best layers re-ranked (0: baselines only)" },
  baselines: {
    type: 'list',
    values: ZOO_NAMES,
    default: ['bn-relu', 'gn-relu', 'evonorm-b0', 'evonorm-s0'],
    description: 'zoo layers trained alongside (bn-relu is the reference of the paired differences)',
  },
  seeds: { type: 'int', min: 1, max: 64, default: 3, env: false, description: 'training seeds per layer and architecture' },
  steps: { type: 'int', min: 1, max: 1_000_000, default: 1000, env: false, description: 'training steps' },
  architectures: { type: 'list', values: ARCHITECTURES, description: "default: the search's; others are marked held out" },
  training: { type: 'string', placeholder: 'host:port[,host:port...]|dns:///name:port', description: 'remote training replicas (default: start them locally)' },
  replicas: { type: 'int', min: 1, max: 256, default: Math.min(256, availableParallelism()), description: 'local training replicas' },
  'threads-per-replica': { type: 'int', min: 1, max: 256, default: 1, description: 'CPU threads of each local replica' },
  ...PROVIDER_FLAGS,
  'fashion-mnist-dir': { type: 'string', placeholder: 'dir', description: 'Fashion-MNIST for the local replicas' },
  'cifar10-dir': { type: 'string', placeholder: 'dir', description: 'CIFAR-10 for the local replicas' },
  json: { type: 'boolean', env: false, description: 'print rerank.json on stdout instead of the table' },
  ...CLIENT_TLS_FLAGS,
});

export const RERANK_USAGE = flagUsage(
  `usage: evonorm rerank <dir> [--top N] [--baselines bn-relu,gn-relu,evonorm-b0,evonorm-s0] [--seeds 3] [--steps 1000]
                    [--architectures a,b,...] [--training host:port,...]
  trains the top layers and baselines longer on several seeds and ranks them on the test split: mean ± 95% CI,
  and the difference to BN-ReLU paired by seed; writes <dir>/rerank.json
  (--tls-*: for remote training replicas, or a remote selection service, that require TLS)`,
  RERANK_FLAGS,
);

/** What a rerank trains: its options less how and where (train, signal, reference). */
export type RerankInputs = Pick<RerankOptions, 'plan' | 'layers' | 'architectures' | 'seeds' | 'steps'>;

/** The layers of a rerank: the search's top `n` (by mean search score), then the baselines not already among them. */
export function rerankLayers(candidates: ReadonlyArray<Parameters<typeof topCandidates>[0][number]>, baselines: readonly string[]): RerankLayer[] {
  const layers: RerankLayer[] = candidates.map((c) => {
    const parsed = graphFromProto(c.graph, {});
    if (!parsed.ok) throw new Error(`${c.id}: stored graph is invalid: ${parsed.problems[0]?.message}`);
    return { name: c.id, kind: 'candidate', graph: parsed.graph, formula: c.formula?.text ?? '', searchMeanAccuracy: c.fitness!.meanAccuracy };
  });
  for (const name of baselines) {
    const zoo = zooLayer(name);
    layers.push({ name, kind: 'baseline', graph: zoo.graph, formula: zoo.title });
  }
  return layers;
}

/** Where the trainings run: --training, or replicas started here for the duration. */
export interface TrainingPlace {
  readonly flags: {
    readonly training?: string | undefined;
    readonly replicas: number;
    readonly 'threads-per-replica': number;
    readonly ep?: 'cpu' | 'cuda' | undefined;
    readonly device?: number | undefined;
    readonly 'fashion-mnist-dir'?: string | undefined;
    readonly 'cifar10-dir'?: string | undefined;
    readonly 'tls-ca'?: string | undefined;
    readonly 'tls-cert'?: string | undefined;
    readonly 'tls-key'?: string | undefined;
  };
  readonly dir: string;
}

/** Runs a rerank on a training pool (remote or started here), reporting progress on stderr. */
export async function runRerank(inputs: RerankInputs, place: TrainingPlace, quiet = false): Promise<RerankResult> {
  const { flags } = place;
  const local = flags.training
    ? undefined
    : await startTrainingReplicas({
        dir: place.dir,
        prefix: 'rerank-training',
        replicas: flags.replicas,
        threadsPerReplica: flags['threads-per-replica'],
        ...(flags.ep ? { ep: flags.ep, device: flags.device ?? 0 } : {}),
        ...(flags['fashion-mnist-dir'] ? { fashionMnistDir: resolve(flags['fashion-mnist-dir']) } : {}),
        ...(flags['cifar10-dir'] ? { cifar10Dir: resolve(flags['cifar10-dir']) } : {}),
      });
  const pool = new TrainingPool(trainingTargets(flags.training ?? local!.addresses), { perReplica: 1, credentials: channelCredentials(local ? {} : clientTlsOf(flags)) });
  const abort = new AbortController();
  setMaxListeners(0, abort.signal); // one listener per training in flight
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await rerank({
      ...inputs,
      train: (request, signal) => pool.train(request, signal),
      signal: abort.signal,
      onTrained: (done, total) => {
        if (!quiet && process.stderr.isTTY) process.stderr.write(`\rre-ranking: ${done}/${total} trainings`);
        if (!quiet && process.stderr.isTTY && done === total) process.stderr.write('\n');
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
    pool.close();
    await local?.stop();
  }
}

/** The re-ranking as a table: mean ± 95% CI per architecture, and the paired difference to the reference. */
export function rerankTable(result: RerankResult): string {
  const archs = result.architectures.map((a) => a.name);
  const header = ['rank', 'layer', ...result.architectures.map((a) => (a.heldOut ? `${a.name} (held out)` : a.name)), 'mean', result.reference ? `mean − ${result.reference}` : '', 'formula'];
  const pts = (i: { mean: number; halfWidth: number | null }): string =>
    `${i.mean >= 0 ? '+' : '−'}${Math.abs(100 * i.mean).toFixed(1)}${i.halfWidth === null ? '' : ` ± ${(100 * i.halfWidth).toFixed(1)}`}`;
  const rows = result.layers.map((l, i) => [
    String(i + 1),
    `${l.name}${l.kind === 'baseline' ? ' (baseline)' : ''}`,
    ...archs.map((a) => {
      const r = l.architectures[a]!;
      return `${intervalText(r)}${r.vsReference ? ` (${pts(r.vsReference)})` : ''}${r.failures ? ` [${r.failures} failed]` : ''}`;
    }),
    intervalText(l.mean),
    l.mean.vsReference ? pts(l.mean.vsReference) : '',
    l.formula,
  ]);
  const widths = header.map((h, k) => (k === header.length - 1 ? 0 : Math.max(h.length, ...rows.map((r) => r[k]!.length))));
  const line = (cells: string[]): string => cells.map((c, k) => (k === cells.length - 1 ? c : c.padEnd(widths[k]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

export async function rerankCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(argv, RERANK_FLAGS, { env: process.env, positionals: true });
  const dir = positionals[0];
  if (!dir || positionals.length > 1) throw new FlagError(`give one search folder\n${RERANK_USAGE}`);
  // Local replicas asked for CUDA: stop here with what is missing, before anything starts.
  if (!values.training) await requireExecutionProvider(values.ep, values.device, (message) => new FlagError(message));
  const { record, history } = await readHistory(dir, channelCredentials(clientTlsOf(values)));
  const plan = record.plan;
  const architectures = values.architectures ?? [...plan.architectures];
  if (!architectures.every(isArchitecture) || architectures.length === 0) throw new FlagError(`--architectures must be a comma list of ${ARCHITECTURES.join(', ')}`);
  const candidates = topCandidates(history, values.top);
  if (values.top > 0 && candidates.length === 0) throw new FlagError(`${dir} has no evaluated candidates yet (rerank only the baselines with --top 0)`);
  const layers = rerankLayers(
    candidates,
    values.baselines.filter((b) => !candidates.some((c) => c.id === b)),
  );
  if (layers.length === 0) throw new FlagError('nothing to re-rank: give --top N or --baselines');
  if (!values.json)
    console.error(
      `re-ranking ${layers.length} layer(s) × ${architectures.length} architecture(s) × ${values.seeds} seed(s), ${values.steps} steps each, on ${values.training ?? `${values.replicas} local replica(s)`}`,
    );
  const result = await runRerank({ plan, layers, architectures, seeds: values.seeds, steps: values.steps }, { flags: values, dir });
  writeFileSync(join(dir, 'rerank.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    `\nre-ranked on the test split after ${values.steps} steps, ${values.seeds} seed(s): mean ± 95% CI (points), (difference to ${result.reference ?? 'no reference'} paired by seed ± 95% CI)`,
  );
  console.log(rerankTable(result));
  const winners = result.layers.filter((l) => l.kind === 'candidate' && l.beatsReferenceEverywhere).map((l) => l.name);
  if (result.reference) console.log(`\nbeat ${result.reference} on every architecture (paired 95% CI above zero): ${winners.join(', ') || 'none'}`);
  console.log(`written to ${join(dir, 'rerank.json')}`);
}
