/**
 * How far one layer's inference cost ratio (Candidate.cost) moves between runs, one JSON line per
 * figure (npx nx run onnx:bench-cost-ratio):
 *   node libs/onnx/dist/bench/cost-ratio.js [--layers gn-relu,evonorm-b0,evonorm-s0] [--runs 3] [--threads 1]
 * Each run is a fresh process measuring every layer in turn, as a training replica does (libs/onnx
 * cost.ts: the optimized export against BN-ReLU's, interleaved, process CPU time on the CPU). Lines:
 * "run" (one layer's ratio and times in one run), "noise" (per layer: the runs' ratios, their mean,
 * and the largest deviation from the mean as a fraction of it, against the ±10% target).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ZOO_NAMES, zooLayer, type ZooName } from '@evonorm/graph';
import { inferenceCost } from '../src/index.js';

const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: 'gn-relu,evonorm-b0,evonorm-s0' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    child: { type: 'boolean', default: false },
  },
});
const layers = values.layers.split(',').filter((l) => l.length > 0);
const bad = layers.find((l) => !(ZOO_NAMES as readonly string[]).includes(l));
if (bad !== undefined) {
  console.error(`onnx:bench-cost-ratio: unknown layer ${JSON.stringify(bad)}; use zoo names (${ZOO_NAMES.join(', ')})`);
  process.exit(2);
}
const threads = Number(values.threads);
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 2 || !Number.isInteger(threads) || threads < 1) {
  console.error('onnx:bench-cost-ratio: --runs must be an integer ≥ 2 and --threads ≥ 1');
  process.exit(2);
}

interface RunLine {
  readonly type: 'run';
  readonly run: number;
  readonly layer: string;
  readonly ratio: number;
  readonly layerMs: number;
  readonly referenceMs: number;
  readonly clock: string;
  readonly shape: readonly number[];
}

if (values.child) {
  // One run: every layer measured in this process, one line each.
  for (const name of layers) {
    const cost = await inferenceCost(zooLayer(name as ZooName).graph, { threads });
    console.log(JSON.stringify({ layer: name, ratio: cost.ratio, layerMs: cost.layerMs, referenceMs: cost.referenceMs, clock: cost.clock, shape: cost.shape }));
  }
} else {
  const self = fileURLToPath(import.meta.url);
  const lines: RunLine[] = [];
  for (let run = 1; run <= runs; run++) {
    const child = spawnSync(process.execPath, [self, '--child', '--layers', layers.join(','), '--threads', String(threads)], { encoding: 'utf8' });
    if (child.status !== 0) {
      console.error(child.stderr);
      process.exit(1);
    }
    for (const text of child.stdout.split('\n').filter((l) => l.startsWith('{'))) {
      const line: RunLine = { type: 'run', run, ...(JSON.parse(text) as Omit<RunLine, 'type' | 'run'>) };
      lines.push(line);
      console.log(JSON.stringify(line));
    }
  }
  for (const layer of layers) {
    const ratios = lines.filter((l) => l.layer === layer).map((l) => l.ratio);
    const mean = ratios.reduce((s, r) => s + r, 0) / ratios.length;
    const deviation = Math.max(...ratios.map((r) => Math.abs(r - mean) / mean));
    console.log(JSON.stringify({ type: 'noise', layer, runs, threads, ratios, mean, maxDeviation: deviation, withinTenPercent: deviation <= 0.1 }));
  }
}
