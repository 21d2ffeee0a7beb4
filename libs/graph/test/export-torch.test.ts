/**
 * The PyTorch export against the float64 interpreter: every zoo layer and 24 random layers the
 * probe accepts, in training mode (output and updated moving averages) and eval mode, with random
 * parameters and moving averages, 12 channels in 4 groups. The generated module runs under
 * Debian's python3-torch (tools/test-deps.sh installs it) in float64 (≤ 1e-9 normwise) and
 * float32 (≤ 1e-5 normwise).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { FunctionalProbe, Rng, evaluateLayer, isBatchAggregate, randomGraph, tensor, torchModuleSource, zooLayers, type LayerGraph, type LayerParams, type Shape4 } from '../src/index.js';

const SHAPE: Shape4 = [3, 12, 3, 4];
const GROUPS = 4;
const DRIVER = fileURLToPath(new URL('../../test/torch-driver.py', import.meta.url));

interface Case {
  readonly name: string;
  readonly graph: LayerGraph;
  readonly x: Float64Array;
  readonly params: LayerParams;
  readonly state: Map<number, Float64Array>;
}

interface TorchRun {
  readonly train: number[];
  readonly state: Record<string, number[]>;
  readonly eval: number[];
}

function makeCase(name: string, graph: LayerGraph, rng: Rng): Case {
  const c = SHAPE[1];
  const vector = (f: () => number): Float64Array => Float64Array.from({ length: c }, f);
  const state = new Map<number, Float64Array>();
  graph.nodes.forEach((node, index) => {
    if (isBatchAggregate(node))
      state.set(
        index + 4,
        vector(() => (node.op === 'mean' ? rng.normal() : 0.5 + rng.float())),
      );
  });
  return {
    name,
    graph,
    x: Float64Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    params: { v0: vector(() => rng.normal() * 0.5), v1: vector(() => 1 + rng.normal() * 0.5), gamma: vector(() => 1 + rng.normal() * 0.3), beta: vector(() => rng.normal() * 0.3) },
    state,
  };
}

function relativeError(got: readonly number[], want: Float64Array): number {
  let diff = 0;
  let norm = 0;
  want.forEach((w, i) => {
    diff += (got[i]! - w) ** 2;
    norm += w * w;
  });
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-30);
}

const dir = mkdtempSync(join(tmpdir(), 'evonorm-torch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('PyTorch export (python3-torch) against the float64 interpreter', () => {
  it('agrees for the zoo and 24 random layers, training and eval mode, float64 and float32', () => {
    const rng = Rng.fromSeed(23);
    const cases: Case[] = zooLayers().map((z) => makeCase(z.name, z.graph, rng));
    const probe = new FunctionalProbe();
    while (cases.length < zooLayers().length + 24) {
      const graph = randomGraph(rng);
      if (probe.probe(graph).ok) cases.push(makeCase(`random ${cases.length - zooLayers().length}`, graph, rng));
    }
    const input = cases.map((c, i) => {
      const file = join(dir, `layer_${i}.py`);
      writeFileSync(file, torchModuleSource(c.graph, { className: 'Layer', source: c.name }));
      return {
        file,
        module: `layer_${i}`,
        className: 'Layer',
        shape: SHAPE,
        groups: GROUPS,
        x: Array.from(c.x),
        params: Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, Array.from(v as Float64Array)])),
        state: Object.fromEntries([...c.state].map(([id, v]) => [String(id), Array.from(v)])),
      };
    });
    const output = JSON.parse(execFileSync('/usr/bin/python3', [DRIVER], { input: JSON.stringify(input), maxBuffer: 1 << 28, encoding: 'utf8' })) as Array<Record<'float64' | 'float32', TorchRun>>;
    assert.equal(output.length, cases.length);
    cases.forEach((c, i) => {
      const x = tensor(SHAPE, c.x);
      const train = evaluateLayer(c.graph, x, { mode: 'train', params: c.params, state: c.state, groups: GROUPS });
      const infer = evaluateLayer(c.graph, x, { mode: 'infer', params: c.params, state: c.state, groups: GROUPS });
      for (const [dtype, tolerance] of [
        ['float64', 1e-9],
        ['float32', 1e-5],
      ] as const) {
        const run = output[i]![dtype];
        const label = `${c.name} (${dtype})`;
        assert.ok(relativeError(run.train, train.output.data) <= tolerance, `${label}: training output off by ${relativeError(run.train, train.output.data)}`);
        assert.ok(relativeError(run.eval, infer.output.data) <= tolerance, `${label}: eval output off by ${relativeError(run.eval, infer.output.data)}`);
        assert.deepEqual(Object.keys(run.state).sort(), [...train.state.keys()].map(String).sort(), `${label}: the same moving averages`);
        for (const [id, values] of train.state) {
          assert.ok(relativeError(run.state[String(id)]!, values) <= tolerance, `${label}: moving average of node ${id}`);
        }
      }
    });
  });

  it('writes a module whose docstring carries the formula and whose GRAPH is the layer JSON', () => {
    const b0 = zooLayers().find((z) => z.name === 'evonorm-b0')!.graph;
    const source = torchModuleSource(b0, { className: 'EvoNormB0', source: 'zoo: evonorm-b0' });
    assert.match(source, /^"""EvoNormB0: a normalization-activation layer found by evonorm \(zoo: evonorm-b0\)/);
    assert.match(source, /f\(x\) = x \/ max\(/);
    assert.match(source, /GRAPH = \{"nodes":\[\{"op":"std","inputs":\[0\],"axes":"bwh"\}/);
    assert.match(source, /class EvoNormB0\(nn\.Module\):/);
    assert.throws(() => torchModuleSource(b0, { className: 'not a name' }), /not a Python class name/);
  });
});
