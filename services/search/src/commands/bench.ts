/**
 * `evonorm bench`: per-layer and whole-network inference latency with ONNX Runtime, naive and
 * optimized export, with a bandwidth-floor column and the stock ReLU as the reference measured in
 * the same run. `--from <search dir> --top N` adds a search's best layers (named as `export --from`
 * names them) to the zoo layers. JSON lines with --json, else a table.
 */
import { parseArgs } from 'node:util';
import type { Shape4 } from '@evonorm/graph';
import { ARCHITECTURES, architecture } from '@evonorm/nets';
import {
  ExecutionProviderError,
  benchLayer,
  benchNetwork,
  measureBandwidth,
  type BenchDType,
  type ExecutionProvider,
  type LayerBenchResult,
  type NetworkBenchResult,
} from '@evonorm/onnx';
import { UsageError, parseShape, resolveLayer, type NamedLayer } from '../layers.js';
import { bestLayers } from '../search/best-layers.js';

export const BENCH_USAGE = `usage: evonorm bench [--ep cpu|cuda] [--device 0] [--json]
  [--shapes 32x256x56x56,8x64x32x32] [--layers relu,bn-relu,gn-relu,evonorm-b0,evonorm-s0[,graph.json]]
  [--from <search dir> [--top 3]] [--dtype float32|float16] [--chain 8] [--repeats 30] [--min-seconds 1]
  [--threads N] [--networks resnet_v2,mobilenet_v2,efficientnet_b0|none] [--batch 8] [--full]`;

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
}

export function parseBenchArgs(argv: string[]): BenchConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      ep: { type: 'string', default: 'cpu' },
      device: { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
      shapes: { type: 'string', default: '32x256x56x56,8x64x32x32' },
      layers: { type: 'string', default: 'relu,bn-relu,gn-relu,evonorm-b0,evonorm-s0' },
      dtype: { type: 'string', default: 'float32' },
      chain: { type: 'string', default: '8' },
      repeats: { type: 'string', default: '30' },
      'min-seconds': { type: 'string', default: '1' },
      threads: { type: 'string', default: '0' },
      networks: { type: 'string', default: ARCHITECTURES.join(',') },
      batch: { type: 'string', default: '8' },
      full: { type: 'boolean', default: false },
      from: { type: 'string' },
      top: { type: 'string', default: '3' },
    },
  });
  if (values.ep !== 'cpu' && values.ep !== 'cuda') throw new UsageError('--ep must be cpu or cuda');
  const dtypes = values.dtype.split(',');
  if (dtypes.some((d) => d !== 'float32' && d !== 'float16')) throw new UsageError('--dtype must be float32 and/or float16');
  const int = (name: string, text: string, min: number): number => {
    const v = Number(text);
    if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
    return v;
  };
  const minSeconds = Number(values['min-seconds']);
  if (!Number.isFinite(minSeconds) || minSeconds < 0) throw new UsageError('--min-seconds must be a number ≥ 0');
  const networks = values.networks === 'none' ? [] : values.networks.split(',');
  for (const n of networks) if (!(ARCHITECTURES as readonly string[]).includes(n)) throw new UsageError(`unknown network ${n}`);
  return {
    ep: values.ep,
    device: int('device', values.device, 0),
    json: values.json,
    shapes: values.shapes.split(',').map((s) => parseShape(s) as unknown as Shape4),
    layers: values.layers.split(','),
    dtypes: dtypes as BenchDType[],
    chain: int('chain', values.chain, 1),
    repeats: int('repeats', values.repeats, 1),
    minSeconds,
    threads: int('threads', values.threads, 0),
    networks,
    batch: int('batch', values.batch, 1),
    full: values.full,
    ...(values.from !== undefined ? { from: values.from } : {}),
    top: int('top', values.top, 1),
  };
}

type Row = LayerBenchResult | NetworkBenchResult;

/** Runs the benchmark, calling `emit` for each result as it is measured. */
export async function runBench(config: BenchConfig, emit: (row: Row | Record<string, unknown>) => void): Promise<Row[]> {
  const timing = { ep: config.ep, device: config.device, threads: config.threads, repeats: config.repeats, minSeconds: config.minSeconds };
  const layers: Array<{ name: string; graph?: NamedLayer['graph'] }> = config.layers.map((l) => (l === 'relu' ? { name: 'relu' } : resolveLayer(l)));
  if (config.from !== undefined) layers.push(...(await bestLayers(config.from, config.top)));
  const rows: Row[] = [];
  for (const dtype of config.dtypes) {
    for (const shape of config.shapes) {
      let bandwidth: number | undefined;
      try {
        bandwidth = await measureBandwidth(shape, dtype, { ...timing, chain: Math.max(config.chain, 8) });
        emit({ bench: 'bandwidth', ep: config.ep, dtype, shape, gb_per_s: bandwidth });
      } catch (error) {
        if (error instanceof ExecutionProviderError) throw error;
        // MeasurementError or a missing kernel: the floor column stays empty and the run goes on.
        emit({ bench: 'bandwidth', ep: config.ep, dtype, shape, error: (error as Error).message.split('\n')[0] });
      }
      for (const layer of layers) {
        for (const optimize of layer.graph ? [false, true] : [false]) {
          try {
            const row = await benchLayer(layer, { ...timing, shape, dtype, chain: config.chain, optimize });
            if (bandwidth !== undefined) row.floor_ms = row.floor_bytes / (bandwidth * 1e6);
            rows.push(row);
            emit(row);
          } catch (error) {
            if (error instanceof ExecutionProviderError) throw error;
            // One layer the runtime cannot run (e.g. a kernel missing for fp16) does not end the run.
            emit({ bench: 'layer', layer: layer.name, export: layer.graph ? (optimize ? 'optimized' : 'naive') : 'stock', dtype, ep: config.ep, shape, error: (error as Error).message.split('\n')[0] });
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
