/**
 * `evonorm export`: a layer (zoo name or JSON graph) as an ONNX model (alone or in a network), a
 * PyTorch module, its layer JSON or its formula in LaTeX.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHITECTURES, architecture } from '@evonorm/nets';
import { CLIENT_TLS_FLAGS, FlagError, channelCredentials, clientTlsOf, defineFlags, flagUsage, parseFlags } from '@evonorm/rpc';
import { layerJson, renderFormula, tfjsLayerSource, torchModuleSource } from '@evonorm/graph';
import { exportLayer, exportNetwork } from '@evonorm/onnx';
import { parseShape, resolveLayer, type NamedLayer } from '../layers.js';
import { bestLayers } from '../search/best-layers.js';

const FORMATS = ['onnx', 'torch', 'tfjs', 'json', 'latex'] as const;
type Format = (typeof FORMATS)[number];
const EXTENSION: Record<Format, string> = { onnx: 'onnx', torch: 'py', tfjs: 'mjs', json: 'json', latex: 'tex' };

const EXPORT_FLAGS = defineFlags({
  format: {
    type: 'enum',
    values: FORMATS,
    default: 'onnx',
    env: false,
    description: 'an ONNX model, torch (an nn.Module, .py), tfjs (a tf.layers.Layer, .mjs), json (the layer JSON) or latex (the formula)',
  },
  layer: { type: 'string', env: false, placeholder: 'zoo-name|graph.json', description: 'the layer to export' },
  out: { type: 'string', env: false, placeholder: 'file', description: 'where to write it (.onnx, .py, .mjs, .json or .tex by --format)' },
  from: { type: 'string', env: false, placeholder: 'search dir', description: "export a search's best layers instead" },
  top: { type: 'int', min: 1, default: 3, env: false, description: 'how many, with --from' },
  'out-dir': { type: 'string', env: false, placeholder: 'dir', description: 'folder for --from (default <dir>/export)' },
  channels: { type: 'int', min: 1, default: 64, env: false, description: 'channels of a layer exported alone' },
  optimize: { type: 'boolean', env: false, description: 'fuse and simplify the exported graph' },
  functions: { type: 'boolean', env: false, description: 'each layer as one call of a model-local ONNX function (one node per slot in a viewer)' },
  dtype: { type: 'enum', values: ['float32', 'float16', 'float64'], default: 'float32', env: false, description: 'element type' },
  network: { type: 'enum', values: ARCHITECTURES, env: false, description: 'export the layer inside this proxy network' },
  input: { type: 'string', env: false, placeholder: 'CxHxW', description: 'input shape of --network (e.g. 3x32x32)' },
  full: { type: 'boolean', env: false, description: 'the full-size network, not the proxy' },
  ...CLIENT_TLS_FLAGS,
});

export const EXPORT_USAGE = flagUsage(
  `usage: evonorm export --layer <zoo-name|graph.json> --out <file> [--format onnx|torch|tfjs|json|latex]
       evonorm export --from <search dir> [--top 3] [--out-dir <dir>/export] [--format ...]   [flags]`,
  EXPORT_FLAGS,
);

export async function exportCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, EXPORT_FLAGS, { env: process.env });
  const { dtype } = values;
  const optimize = values.optimize === true;
  const full = values.full === true;
  const functions = values.functions === true;
  const format = values.format as Format;
  const writeOnnx = (layer: NamedLayer, out: string): void => {
    let model: Uint8Array;
    if (values.network) {
      const input = values.input ? (parseShape(values.input, 3) as [number, number, number]) : undefined;
      const spec = architecture(values.network, { full, ...(input ? { input } : {}) });
      model = exportNetwork(spec, layer.graph, { dtype, optimize, functions });
    } else {
      model = exportLayer(layer.graph, { channels: values.channels, dtype, optimize, asFunction: functions });
    }
    writeFileSync(out, model);
    console.log(`wrote ${out} (${layer.name}${values.network ? ` in ${values.network}` : ''}, ${dtype}${optimize ? ', optimized' : ''}${functions ? ', as functions' : ''}, ${model.length} bytes)`);
  };
  const writeOne = (layer: NamedLayer, out: string): void => {
    if (format === 'onnx') return writeOnnx(layer, out);
    if (values.network || functions) throw new FlagError(`--network and --functions export an ONNX model; --format ${format} writes the layer alone`);
    const text = takeHome(format, layer);
    writeFileSync(out, text);
    console.log(`wrote ${out} (${layer.name}, ${format})`);
  };
  if (values.from) {
    const best = await bestLayers(values.from, values.top, channelCredentials(clientTlsOf(values)));
    const outDir = values['out-dir'] ?? join(values.from, 'export');
    mkdirSync(outDir, { recursive: true });
    for (const layer of best) {
      const stem = join(outDir, layer.name);
      writeFileSync(`${stem}.json`, `${JSON.stringify(layerJson(layer.graph), null, 2)}\n`);
      if (format !== 'json') writeOne({ name: layer.candidate.id, graph: layer.graph }, `${stem}.${EXTENSION[format]}`);
      console.log(`   mean accuracy ${(100 * layer.candidate.fitness!.meanAccuracy).toFixed(1)}%  ${layer.candidate.formula?.text ?? ''}  (graph: ${stem}.json)`);
    }
    return;
  }
  if (!values.layer || !values.out) throw new FlagError(`--layer and --out are required\n${EXPORT_USAGE}`);
  writeOne(resolveLayer(values.layer), values.out);
}

/** The text of a layer in a format other than ONNX. */
function takeHome(format: Exclude<Format, 'onnx'>, layer: NamedLayer): string {
  const options = { className: className(layer.name), source: layer.name };
  if (format === 'torch') return torchModuleSource(layer.graph, options);
  if (format === 'tfjs') return tfjsLayerSource(layer.graph, options);
  if (format === 'json') return `${JSON.stringify(layerJson(layer.graph), null, 2)}\n`;
  return `${renderFormula(layer.graph, 'latex')}\n`;
}

/** A Python or JavaScript class name for a layer: "evonorm-b0" -> EvonormB0, "c000017" -> C000017. */
export function className(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return /^[A-Za-z_]/.test(joined) ? joined : `Layer${joined}`;
}
