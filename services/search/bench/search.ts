/**
 * Search throughput, one JSON line per figure:
 *   node services/search/dist/bench/search.js [--candidates 16] [--replicas 1,2] [--concurrency 6]
 * - evaluated candidates per hour of the same seeded search (same decisions, so the same work)
 *   with 1 and with 2 local training replicas, and the speed-up;
 * - screening throughput: Screen calls per second on the rejection service (static checks,
 *   canonical hash, functional probe), one at a time and 16 in flight.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { credentials } from '@grpc/grpc-js';
import { MutationServiceClient, RejectionServiceClient, type LayerGraph } from '@evonorm/contracts';
import { FASHION_MNIST_DIR } from '@evonorm/data';
import { unaryCall } from '@evonorm/rpc';
import { grpcBackend, planFrom, runSearch, startLocalServices } from '../src/index.js';

const { values } = parseArgs({
  options: {
    candidates: { type: 'string', default: '16' },
    replicas: { type: 'string', default: '1,2' },
    screens: { type: 'string', default: '2000' },
    concurrency: { type: 'string' },
  },
});
const dataset = existsSync(FASHION_MNIST_DIR) ? 'fashion_mnist' : 'synthetic';
const plan = planFrom({
  candidates: values.candidates,
  minutes: '0',
  dataset,
  'quality-steps': '20',
  'evaluation-steps': '40',
  seed: '1',
  ...(values.concurrency ? { concurrency: values.concurrency } : {}),
});
const emit = (metric: string, value: number, extra: Record<string, unknown> = {}): void => console.log(JSON.stringify({ bench: 'search', metric, value: Number(value.toFixed(3)), ...extra }));

const perHour: Record<number, number> = {};
for (const replicas of values.replicas.split(',').map(Number)) {
  const dir = mkdtempSync(join(tmpdir(), `evonorm-bench-${replicas}-`));
  const local = await startLocalServices({ dir, plan, replicas, threadsPerReplica: 1 });
  const stop = new AbortController();
  const backend = grpcBackend(local.addresses, stop.signal);
  try {
    const started = performance.now();
    const summary = await runSearch({ plan, backend, interrupt: new AbortController().signal });
    const hours = (performance.now() - started) / 3_600_000;
    perHour[replicas] = summary.stats.evaluated / hours;
    emit('evaluated_candidates_per_hour', perHour[replicas]!, {
      replicas,
      candidates: summary.stats.reported,
      evaluated: summary.stats.evaluated,
      duplicates: summary.stats.duplicates,
      seconds: Number((hours * 3600).toFixed(1)),
      dataset,
      architectures: plan.architectures,
    });
  } finally {
    backend.close();
    await local.stop();
  }
}
if (perHour[1] && perHour[2]) emit('speedup_2_vs_1_replicas', perHour[2] / perHour[1], { target: 1.8 });

// Screening: the cheap checks every candidate passes through first.
{
  const dir = mkdtempSync(join(tmpdir(), 'evonorm-bench-screen-'));
  const local = await startLocalServices({ dir, plan: { ...plan, dataset: 'synthetic' }, replicas: 1, threadsPerReplica: 1 });
  const mutation = new MutationServiceClient(local.addresses.mutation, credentials.createInsecure());
  const rejection = new RejectionServiceClient(local.addresses.rejection, credentials.createInsecure());
  try {
    const count = Number(values.screens);
    const graphs: LayerGraph[] = [];
    for (let i = 0; i < count; i++) graphs.push((await unaryCall<object, { graph: LayerGraph }>(mutation, 'randomGraph', { seed: i, space: { batchIndependent: false, minNodes: 0, maxNodes: 0 } })).graph);
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
  }
}
