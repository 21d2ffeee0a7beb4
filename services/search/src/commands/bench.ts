/**
 * `evonorm bench`: per-layer and whole-network inference latency with ONNX Runtime, naive and
 * optimized export, with a bandwidth-floor column and the stock ReLU as the reference measured in
 * the same run. `--from <search dir> --top N` adds a search's best layers (named as `export --from`
 * names them) to the zoo layers. JSON lines with --json, else a table.
 */
import { CLIENT_TLS_FLAGS, FlagError, channelCredentials, clientTlsOf, defineFlags, flagUsage, parseFlags, type ClientTls } from '@evonorm/rpc';
import { loadavg } from 'node:os';
import type { Shape4 } from '@evonorm/graph';
import { ARCHITECTURES, architecture } from '@evonorm/nets';
import { ExecutionProviderError, benchLayer, benchNetwork, measureBandwidth, type BenchDType, type ExecutionProvider, type LayerBenchResult, type NetworkBenchResult } from '@evonorm/onnx';
import { parseShape, resolveLayer, type NamedLayer } from '../layers.js';
import { bestLayers } from '../search/best-layers.js';

export interface BenchConfig {
  ep: ExecutionProvider;
  device: number;
  json: boolean;
  shapes: Shape4[];
  layers: string[];
  dtypes: BenchDType[];
  chain: number;
  repeats: number;
  minSeconds: number;
  threads: number;
  networks: string[];
  batch: number;
  full: boolean;
  /** A search folder whose best layers join the table, and how many. */
  from?: string;
  top: number;
  /** TLS to a remote selection service, for --from. */
  tls?: ClientTls;
}

const BENCH_FLAGS = defineFlags({
  ep: { type: 'enum', values: ['cpu', 'cuda'], default: 'cpu', description: 'ONNX Runtime execution provider' },
  device: { type: 'int', min: 0, default: 0, description: 'GPU index for --ep cuda' },
  json: { type: 'boolean', env: false, description: 'JSON lines' },
  shapes: { type: 'list', env: false, default: ['32x256x56x56', '8x64x32x32'], description: 'NCHW shapes of the layer timings (none: skip them)' },
  layers: { type: 'list', env: false, default: ['relu', 'bn-relu', 'gn-relu', 'evonorm-b0', 'evonorm-s0'], description: 'zoo names or graph.json files' },
  from: { type: 'string', env: false, placeholder: 'search dir', description: "add a search's best layers" },
  top: { type: 'int', min: 1, default: 3, env: false, description: 'how many, with --from' },
  dtype: { type: 'list', env: false, values: ['float32', 'float16'], default: ['float32'], description: 'element types' },
  chain: { type: 'int', env: false, min: 1, default: 8, description: 'layers chained per timed run' },
  repeats: { type: 'int', env: false, min: 1, default: 30, description: 'timed runs' },
  'min-seconds': { type: 'number', env: false, min: 0, default: 2, description: 'time each figure at least this long' },
  threads: { type: 'int', min: 0, default: 0, description: 'CPU threads (0: ONNX Runtime decides)' },
  networks: { type: 'list', env: false, default: [...ARCHITECTURES], description: 'whole networks timed (none: skip them)' },
  batch: { type: 'int', env: false, min: 1, default: 8, description: 'batch of the network timings' },
  full: { type: 'boolean', env: false, description: 'full-size networks, not the proxies' },
  ...CLIENT_TLS_FLAGS,
});

export const BENCH_USAGE = flagUsage(
  `usage: evonorm bench [flags]
  inference latency of layers and networks with ONNX Runtime, the stock ReLU as the reference`,
  BENCH_FLAGS,
);

export function parseBenchArgs(argv: string[]): BenchConfig {
  const { values } = parseFlags(argv, BENCH_FLAGS, { env: process.env });
  if (values.dtype.length === 0) throw new FlagError('--dtype must name float32 and/or float16');
  const networks = values.networks.join(',') === 'none' ? [] : values.networks;
  for (const n of networks) if (!(ARCHITECTURES as readonly string[]).includes(n)) throw new FlagError(`--networks: unknown network ${n}; use a comma list of ${ARCHITECTURES.join(', ')}, or none`);
  return {
    ep: values.ep,
    device: values.device,
    json: values.json === true,
    shapes: values.shapes.join(',') === 'none' ? [] : values.shapes.map((s) => parseShape(s) as unknown as Shape4),
    layers: values.layers,
    dtypes: values.dtype as BenchDType[],
    chain: values.chain,
    repeats: values.repeats,
    minSeconds: values['min-seconds'],
    threads: values.threads,
    networks,
    batch: values.batch,
    full: values.full === true,
    ...(values.from !== undefined ? { from: values.from } : {}),
    top: values.top,
    tls: clientTlsOf(values),
  };
}

type Row = LayerBenchResult | NetworkBenchResult;

/** Runs the benchmark, calling `emit` for each result as it is measured. */
export async function runBench(config: BenchConfig, emit: (row: Row | Record<string, unknown>) => void): Promise<Row[]> {
  const timing = { ep: config.ep, device: config.device, threads: config.threads, repeats: config.repeats, minSeconds: config.minSeconds };
  const layers: Array<{ name: string; graph?: NamedLayer['graph'] }> = config.layers.map((l) => (l === 'relu' ? { name: 'relu' } : resolveLayer(l)));
  if (config.from !== undefined) layers.push(...(await bestLayers(config.from, config.top, channelCredentials(config.tls))));
  const rows: Row[] = [];
  // Untimed: the first timings of a process run slow (JIT, first allocations); the first figure,
  // the bandwidth, was the one row of three back-to-back runs that still disagreed.
  if (config.shapes.length > 0)
    await measureBandwidth(config.shapes[0]!, config.dtypes[0]!, { ...timing, chain: 4 * config.chain, minSeconds: Math.min(0.5, config.minSeconds) }).catch(() => undefined);
  for (const dtype of config.dtypes) {
    for (const shape of config.shapes) {
      let bandwidth: number | undefined;
      try {
        // A ReLU costs a fraction of a normalization layer: 4× the chain keeps it well above the generator's time.
        bandwidth = await measureBandwidth(shape, dtype, { ...timing, chain: 4 * config.chain });
        // The 1-minute load average says how much else ran: CPU figures taken under load are not comparable.
        emit({ bench: 'bandwidth', ep: config.ep, dtype, shape, gb_per_s: bandwidth, load_avg_1m: Number(loadavg()[0]!.toFixed(2)) });
      } catch (error) {
        if (error instanceof ExecutionProviderError) throw error;
        // MeasurementError or a missing kernel: the floor column stays empty and the run goes on.
        emit({ bench: 'bandwidth', ep: config.ep, dtype, shape, error: (error as Error).message.split('\n')[0] });
      }
      for (const layer of layers) {
        for (const optimize of layer.graph ? [false, true] : [false]) {
          try {
            const row = await benchLayer(layer, { ...timing, shape, dtype, chain: layer.graph ? config.chain : 4 * config.chain, optimize });
            if (bandwidth !== undefined) row.floor_ms = row.floor_bytes / (bandwidth * 1e6);
            rows.push(row);
            emit(row);
          } catch (error) {
            if (error instanceof ExecutionProviderError) throw error;
            // One layer the runtime cannot run (e.g. a kernel missing for fp16) does not end the run.
            emit({
              bench: 'layer',
              layer: layer.name,
              export: layer.graph ? (optimize ? 'optimized' : 'naive') : 'stock',
              dtype,
              ep: config.ep,
              shape,
              error: (error as Error).message.split('\n')[0],
            });
          }
        }
      }
    }
    for (const name of config.networks) {
      const spec = architecture(name, { full: config.full });
      for (const layer of layers) {
        if (!layer.graph) continue;
        for (const optimize of [false, true]) {
          try {
            const row = await benchNetwork(spec, { name: layer.name, graph: layer.graph }, { ...timing, minSeconds: 0, repeats: Math.min(config.repeats, 10), batch: config.batch, dtype, optimize });
            rows.push(row);
            emit(row);
          } catch (error) {
            if (error instanceof ExecutionProviderError) throw error;
            emit({ bench: 'network', network: spec.name, layer: layer.name, export: optimize ? 'optimized' : 'naive', dtype, ep: config.ep, error: (error as Error).message.split('\n')[0] });
          }
        }
      }
    }
  }
  return rows;
}

const fmt = (v: number | undefined, digits = 3): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** A readable table of the results. */
export function formatTable(rows: readonly Row[]): string {
  const lines: string[] = [];
  const layerRows = rows.filter((r): r is LayerBenchResult => r.bench === 'layer');
  if (layerRows.length > 0) {
    lines.push('per-layer latency (chain of K layers minus the input generator, over K)');
    lines.push(['layer', 'export', 'dtype', 'ep', 'shape', 'ms/layer', 'floor ms', 'x floor'].map((h) => h.padEnd(12)).join(''));
    for (const r of layerRows) {
      lines.push(
        [r.layer, r.export, r.dtype, r.ep, r.shape.join('x'), fmt(r.per_layer_ms), fmt(r.floor_ms), fmt(r.floor_ms ? r.per_layer_ms / r.floor_ms : undefined, 1)]
          .map((c) => String(c).padEnd(12))
          .join(''),
      );
    }
  }
  const netRows = rows.filter((r): r is NetworkBenchResult => r.bench === 'network');
  if (netRows.length > 0) {
    lines.push('', 'whole-network inference latency');
    lines.push(['network', 'layer', 'export', 'dtype', 'batch', 'ms', 'images/s'].map((h) => h.padEnd(16)).join(''));
    for (const r of netRows) {
      lines.push([r.network, r.layer, r.export, r.dtype, r.batch, fmt(r.latency_ms), fmt(r.images_per_s, 0)].map((c) => String(c).padEnd(16)).join(''));
    }
  }
  return lines.join('\n');
}

export async function benchCommand(argv: string[]): Promise<void> {
  const config = parseBenchArgs(argv);
  const rows = await runBench(config, (row) => {
    if (config.json) console.log(JSON.stringify(row));
    else process.stderr.write('.');
  });
  if (!config.json) console.log(`\n${formatTable(rows)}`);
}
