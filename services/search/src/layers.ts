/** Resolves a layer named on the command line: a zoo name or a JSON graph file. */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ZOO_NAMES, isZooName, parseLayerGraph, zooLayer, type LayerGraph } from '@evonorm/graph';
import { FlagError } from '@evonorm/rpc';

/** The CLI's usage errors are the shared parser's FlagError (exit 2, `evonorm: <message>`). */
export { FlagError as UsageError };

export interface NamedLayer {
  readonly name: string;
  readonly graph: LayerGraph;
}

/** A zoo layer by name, or a graph from a JSON file ({"nodes": [...]}), validated. */
export function resolveLayer(spec: string): NamedLayer {
  if (isZooName(spec)) return { name: spec, graph: zooLayer(spec).graph };
  if (!existsSync(spec)) {
    throw new FlagError(`${spec} is neither a zoo layer (${ZOO_NAMES.join(', ')}) nor a JSON graph file`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(spec, 'utf8'));
  } catch (error) {
    throw new FlagError(`${spec} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = parseLayerGraph(json);
  if (!parsed.ok) {
    throw new FlagError(`${spec} is not a valid layer graph:\n  ${parsed.problems.map((p) => `${p.field}: ${p.message}`).join('\n  ')}`);
  }
  return { name: basename(spec).replace(/\.json$/, ''), graph: parsed.graph };
}

/** Parses "32x256x56x56" into [32, 256, 56, 56]. */
export function parseShape(text: string, rank = 4): number[] {
  const dims = text.split(/[x,]/).map(Number);
  if (dims.length !== rank || dims.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new FlagError(`shape ${JSON.stringify(text)} must be ${rank} positive integers like ${rank === 4 ? '32x256x56x56' : '3x32x32'}`);
  }
  return dims;
}
