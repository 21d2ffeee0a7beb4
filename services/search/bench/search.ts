/**
 * Search throughput, one JSON line per figure:
 *   node services/search/dist/bench/search.js [--candidates 16] [--replicas 1,2] [--concurrency 6]
 *     [--ep cpu|cuda] [--replicas-per-gpu 2] [--device N] [--screens 2000] [--keep] [--quick]
 * - the reference of this run: ORT's Conv GFLOP/s on this machine's CPU (all cores);
 * - evaluated candidates per hour of the same seeded search (same decisions, so the same work)
 *   with each --replicas count of local CPU training replicas (one thread each), and the speed-up
 *   of the largest over 1; with --ep cuda, also with --replicas-per-gpu replicas on every visible GPU
 *   (or --device alone), placed as `evonorm search --ep cuda` places them;
 * - screening throughput: Screen calls per second on the rejection service (static checks,
 *   canonical hash, functional probe), one at a time and 16 in flight.
 * Each search line names its run folder (`dir`), a real one `evonorm bench --from` can read; --keep
 * keeps them (otherwise they are deleted at the end). --quick shrinks the search (one tiny proxy, a
 * few steps) to check the pipeline end to end, e.g. in tools/gpu-bench.sh --quick.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import { MutationServiceClient, RejectionServiceClient, type LayerGraph } from '@evonorm/contracts';
import { FASHION_MNIST_DIR } from '@evonorm/data';
import { benchConv } from '@evonorm/onnx';
import { unaryCall } from '@evonorm/rpc';
import { checkExecutionProvider } from '@evonorm/train';
import { grpcBackend, planFrom, runSearch, startLocalServices, writeRun } from '../src/index.js';
import { placeReplicas, visibleGpus, type ReplicaPlacement } from '../src/search/replicas.js';

const { values } = parseArgs({
  options: {
    candidates: { type: 'string', default: '16' },
    replicas: { type: 'string', default: '1,2' },
    screens: { type: 'string', default: '2000' },
    concurrency: { type: 'string' },
    ep: { type: 'string', default: 'cpu' },
    'replicas-per-gpu': { type: 'string', default: '2' },
    device: { type: 'string' },
    keep: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
});
const fail = (message: string): never => {
  console.error(`search:bench: ${message}`);
  process.exit(2);
};
if (values.ep !== 'cpu' && values.ep !== 'cuda') fail('--ep must be cpu or cuda');
const replicaCounts = values.replicas.split(',').map(Number);
if (replicaCounts.some((r) => !Number.isInteger(r) || r < 1)) fail('--replicas must be a comma list of positive integers');
const dataset = existsSync(FASHION_MNIST_DIR) ? 'fashion_mnist' : 'synthetic';
const plan = planFrom({
  candidates: values.candidates,
  minutes: '0',
  dataset,
  'quality-steps': '20',
  'evaluation-steps': '40',
  // Uniform evaluation at the proxy sizes the README's figures were measured at (before the main
  // job moved to ResNet width 1 and 1,000 validation examples).
  'adaptive-seeds': '0',
  width: 'resnet_v2=0.5,mobilenet_v2=0.25',
  'validation-examples': '500',
  seed: '1',
  ...(values.concurrency ? { concurrency: values.concurrency } : {}),
  // --quick: a dry run of the pipeline (tests, CPU-only machines), not a figure to quote.
  ...(values.quick
    ? {
        dataset: 'synthetic',
        architectures: 'resnet_v2',
        width: '0.25',
        depth: '0.25',
        population: '2',
        'tournament-fraction': '0.5',
        'stability-steps': '2',
        'quality-steps': '4',
        'min-accuracy': '0.01',
        'evaluation-steps': '4',
        'batch-size': '8',
        'validation-examples': '20',
      }
    : {}),
});
const emit = (metric: string, value: number, extra: Record<string, unknown> = {}): void => console.log(JSON.stringify({ bench: 'search', metric, value: Number(value.toFixed(3)), ...extra }));
const cores = availableParallelism();
const conv = await benchConv({ threads: cores });
console.log(JSON.stringify({ ...conv, gflop_per_s: Number(conv.gflop_per_s.toFixed(1)), ms: Number(conv.ms.toFixed(3)) }));

const placements: ReplicaPlacement[] = replicaCounts.map((replicas) => placeReplicas({ ep: 'cpu', cores, replicas, threadsPerReplica: 1 }));
if (values.ep === 'cuda') {
  try {
    await checkExecutionProvider('cuda', Number(values.device ?? 0));
    placements.push(
      placeReplicas({
        ep: 'cuda',
        cores,
        replicas: 0,
        threadsPerReplica: 1,
        gpus: visibleGpus(),
        replicasPerGpu: Number(values['replicas-per-gpu']),
        ...(values.device !== undefined ? { device: Number(values.device) } : {}),
      }),
    );
  } catch (error) {
    fail((error as Error).message);
  }
}

const dirs: string[] = [];
const perHour = new Map<string, number>();
for (const placement of placements) {
  const label = placement.ep === 'cuda' ? `cuda:${placement.replicas}` : `cpu:${placement.replicas}`;
  const dir = mkdtempSync(join(tmpdir(), `evonorm-bench-${label.replace(':', '-')}-`));
  dirs.push(dir);
  writeRun(dir, { version: 1, plan, createdUnixMs: Date.now() });
  const local = await startLocalServices({
    dir,
    plan,
    placement,
  });
  const stop = new AbortController();
  const backend = grpcBackend(local.addresses, stop.signal);
  try {
    const started = performance.now();
    const summary = await runSearch({ plan, backend, interrupt: new AbortController().signal });
    const hours = (performance.now() - started) / 3_600_000;
    perHour.set(label, summary.stats.evaluated / hours);
    emit('evaluated_candidates_per_hour', perHour.get(label)!, {
      ep: placement.ep,
      replicas: placement.replicas,
      ...(placement.devices ? { devices: placement.devices } : {}),
      threads_per_replica: placement.threadsPerReplica,
      candidates: summary.stats.reported,
      evaluated: summary.stats.evaluated,
      duplicates: summary.stats.duplicates,
      seconds: Number((hours * 3600).toFixed(1)),
      dataset: plan.dataset,
      architectures: plan.architectures,
      quick: values.quick,
      cores,
      dir,
    });
  } finally {
    backend.close();
    await local.stop();
  }
}
const most = Math.max(...replicaCounts);
if (most > 1 && perHour.get('cpu:1') && perHour.get(`cpu:${most}`)) {
  emit(`speedup_${most}_vs_1_replicas`, perHour.get(`cpu:${most}`)! / perHour.get('cpu:1')!, { ep: 'cpu', ...(most === 2 ? { target: 1.8 } : {}), cores });
}
const cuda = placements.find((p) => p.ep === 'cuda');
if (cuda && perHour.get(`cuda:${cuda.replicas}`) && perHour.get('cpu:1')) {
  emit('speedup_cuda_vs_1_cpu_replica', perHour.get(`cuda:${cuda.replicas}`)! / perHour.get('cpu:1')!, { ep: 'cuda', replicas: cuda.replicas, target: 20 });
}

// Screening: the cheap checks every candidate passes through first.
{
  const dir = mkdtempSync(join(tmpdir(), 'evonorm-bench-screen-'));
  const local = await startLocalServices({ dir, plan: { ...plan, dataset: 'synthetic' }, placement: placeReplicas({ ep: 'cpu', cores: 1, replicas: 1, threadsPerReplica: 1 }) });
  const mutation = new MutationServiceClient(local.addresses.mutation, credentials.createInsecure());
  const rejection = new RejectionServiceClient(local.addresses.rejection, credentials.createInsecure());
  try {
    const count = Number(values.screens);
    const graphs: LayerGraph[] = [];
    for (let i = 0; i < count; i++)
      graphs.push((await unaryCall<object, { graph: LayerGraph }>(mutation, 'randomGraph', { seed: BigInt(i), space: { batchIndependent: false, minNodes: 0, maxNodes: 0 } })).graph);
    for (const inFlight of [1, 16]) {
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < graphs.length) await unaryCall(rejection, 'screen', { graph: graphs[next++], batchIndependent: false });
        }),
      );
      emit('screens_per_s', count / ((performance.now() - started) / 1000), { in_flight: inFlight, graphs: count });
    }
  } finally {
    mutation.close();
    rejection.close();
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
if (!values.keep) for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
