/** `evonorm export`: a layer (zoo name or JSON graph) to an ONNX model, alone or in a network. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { architecture, isArchitecture } from '@evonorm/nets';
import { exportLayer, exportNetwork } from '@evonorm/onnx';
import { UsageError, parseShape, resolveLayer, type NamedLayer } from '../layers.js';
import { bestLayers } from '../search/best-layers.js';

export const EXPORT_USAGE = `usage: evonorm export --layer <zoo-name|graph.json> --out <file.onnx>
       evonorm export --from <search dir> [--top 3] [--out-dir <dir>/export]
  [--channels 64] [--optimize] [--dtype float32|float16|float64]
  [--network resnet_v2|mobilenet_v2|efficientnet_b0 [--input 3x32x32] [--full]]`;

export async function exportCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      layer: { type: 'string' },
      out: { type: 'string' },
      channels: { type: 'string', default: '64' },
      optimize: { type: 'boolean', default: false },
      dtype: { type: 'string', default: 'float32' },
      network: { type: 'string' },
      input: { type: 'string' },
      full: { type: 'boolean', default: false },
      from: { type: 'string' },
      top: { type: 'string', default: '3' },
      'out-dir': { type: 'string' },
    },
  });
  const dtype = values.dtype;
  if (dtype !== 'float32' && dtype !== 'float16' && dtype !== 'float64') throw new UsageError(`--dtype must be float32, float16 or float64`);
  const writeOne = (layer: NamedLayer, out: string): void => {
    let model: Uint8Array;
    if (values.network) {
      if (!isArchitecture(values.network)) throw new UsageError(`unknown --network ${values.network}`);
      const input = values.input ? (parseShape(values.input, 3) as [number, number, number]) : undefined;
      const spec = architecture(values.network, { full: values.full, ...(input ? { input } : {}) });
      model = exportNetwork(spec, layer.graph, { dtype, optimize: values.optimize });
    } else {
      const channels = Number(values.channels);
      if (!Number.isInteger(channels) || channels < 1) throw new UsageError('--channels must be a positive integer');
      model = exportLayer(layer.graph, { channels, dtype, optimize: values.optimize });
    }
    writeFileSync(out, model);
    console.log(`wrote ${out} (${layer.name}${values.network ? ` in ${values.network}` : ''}, ${dtype}${values.optimize ? ', optimized' : ''}, ${model.length} bytes)`);
  };
  if (values.from) {
    const top = Number(values.top);
    if (!Number.isInteger(top) || top < 1) throw new UsageError('--top must be a positive integer');
    const best = await bestLayers(values.from, top);
    const outDir = values['out-dir'] ?? join(values.from, 'export');
    mkdirSync(outDir, { recursive: true });
    for (const layer of best) {
      const stem = join(outDir, layer.name);
      writeFileSync(`${stem}.json`, `${JSON.stringify(layer.graph, null, 2)}\n`);
      writeOne({ name: layer.candidate.id, graph: layer.graph }, `${stem}.onnx`);
      console.log(`   mean accuracy ${(100 * layer.candidate.fitness!.meanAccuracy).toFixed(1)}%  ${layer.candidate.formula?.text ?? ''}  (graph: ${stem}.json)`);
    }
    return;
  }
  if (!values.layer || !values.out) throw new UsageError(`--layer and --out are required\n${EXPORT_USAGE}`);
  writeOne(resolveLayer(values.layer), values.out);
}
