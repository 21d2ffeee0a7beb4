/** `evonorm export`: a layer (zoo name or JSON graph) to an ONNX model, alone or in a network. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHITECTURES, architecture } from '@evonorm/nets';
import { CLIENT_TLS_FLAGS, FlagError, channelCredentials, clientTlsOf, defineFlags, flagUsage, parseFlags } from '@evonorm/rpc';
import { layerJson } from '@evonorm/graph';
import { exportLayer, exportNetwork } from '@evonorm/onnx';
import { parseShape, resolveLayer, type NamedLayer } from '../layers.js';
import { bestLayers } from '../search/best-layers.js';

const EXPORT_FLAGS = defineFlags({
  layer: { type: 'string', env: false, placeholder: 'zoo-name|graph.json', description: 'the layer to export' },
  out: { type: 'string', env: false, placeholder: 'file.onnx', description: 'where to write it' },
  from: { type: 'string', env: false, placeholder: 'search dir', description: "export a search's best layers instead" },
  top: { type: 'int', min: 1, default: 3, env: false, description: 'how many, with --from' },
  'out-dir': { type: 'string', env: false, placeholder: 'dir', description: 'folder for --from (default <dir>/export)' },
  channels: { type: 'int', min: 1, default: 64, env: false, description: 'channels of a layer exported alone' },
  optimize: { type: 'boolean', env: false, description: 'fuse and simplify the exported graph' },
  dtype: { type: 'enum', values: ['float32', 'float16', 'float64'], default: 'float32', env: false, description: 'element type' },
  network: { type: 'enum', values: ARCHITECTURES, env: false, description: 'export the layer inside this proxy network' },
  input: { type: 'string', env: false, placeholder: 'CxHxW', description: 'input shape of --network (e.g. 3x32x32)' },
  full: { type: 'boolean', env: false, description: 'the full-size network, not the proxy' },
  ...CLIENT_TLS_FLAGS,
});

export const EXPORT_USAGE = flagUsage(
  `usage: evonorm export --layer <zoo-name|graph.json> --out <file.onnx>
       evonorm export --from <search dir> [--top 3] [--out-dir <dir>/export]   [flags]`,
  EXPORT_FLAGS,
);

export async function exportCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, EXPORT_FLAGS, { env: process.env });
  const { dtype } = values;
  const optimize = values.optimize === true;
  const full = values.full === true;
  const writeOne = (layer: NamedLayer, out: string): void => {
    let model: Uint8Array;
    if (values.network) {
      const input = values.input ? (parseShape(values.input, 3) as [number, number, number]) : undefined;
      const spec = architecture(values.network, { full, ...(input ? { input } : {}) });
      model = exportNetwork(spec, layer.graph, { dtype, optimize });
    } else {
      model = exportLayer(layer.graph, { channels: values.channels, dtype, optimize });
    }
    writeFileSync(out, model);
    console.log(`wrote ${out} (${layer.name}${values.network ? ` in ${values.network}` : ''}, ${dtype}${optimize ? ', optimized' : ''}, ${model.length} bytes)`);
  };
  if (values.from) {
    const best = await bestLayers(values.from, values.top, channelCredentials(clientTlsOf(values)));
    const outDir = values['out-dir'] ?? join(values.from, 'export');
    mkdirSync(outDir, { recursive: true });
    for (const layer of best) {
      const stem = join(outDir, layer.name);
      writeFileSync(`${stem}.json`, `${JSON.stringify(layerJson(layer.graph), null, 2)}\n`);
      writeOne({ name: layer.candidate.id, graph: layer.graph }, `${stem}.onnx`);
      console.log(`   mean accuracy ${(100 * layer.candidate.fitness!.meanAccuracy).toFixed(1)}%  ${layer.candidate.formula?.text ?? ''}  (graph: ${stem}.json)`);
    }
    return;
  }
  if (!values.layer || !values.out) throw new FlagError(`--layer and --out are required\n${EXPORT_USAGE}`);
  writeOne(resolveLayer(values.layer), values.out);
}
