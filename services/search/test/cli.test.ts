import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Candidate, graphToProto } from '@evonorm/contracts';
import { layerJson, renderFormula, zooLayer } from '@evonorm/graph';
import { SearchStore } from '@evonorm/store';
import { DEFAULT_PLAN } from '../src/index.js';
import { writeRun } from '../src/search/run-folder.js';
import { ort } from '@evonorm/onnx';

const CLI = fileURLToPath(new URL('../../bin/evonorm.js', import.meta.url));
const run = (...args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('evonorm export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'evonorm-cli-'));

  it('writes a zoo layer that ONNX Runtime loads and runs', async () => {
    const out = join(dir, 's0.onnx');
    const r = run('export', '--layer', 'evonorm-s0', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote .*s0\.onnx \(evonorm-s0, float32/);
    const session = await ort.InferenceSession.create(out);
    const y = await session.run({ x: new ort.Tensor('float32', new Float32Array(2 * 64 * 3 * 3).fill(0.5), [2, 64, 3, 3]) });
    assert.equal(y.y!.data.length, 2 * 64 * 9);
  });

  it('writes a graph given as JSON, optimized, and inside a network', async () => {
    const graph = join(dir, 'mine.json');
    writeFileSync(
      graph,
      JSON.stringify({
        nodes: [
          { op: 'std', inputs: [0], axes: 'wh' },
          { op: 'div', inputs: [0, 4] },
          { op: 'tanh', inputs: [5] },
        ],
      }),
    );
    for (const extra of [['--optimize'], ['--network', 'resnet_v2', '--input', '1x28x28'], ['--network', 'resnet_v2', '--input', '1x28x28', '--functions']]) {
      const out = join(dir, `mine-${extra.join('')}.onnx`);
      const r = run('export', '--layer', graph, '--out', out, ...extra);
      assert.equal(r.code, 0, r.stderr);
      const session = await ort.InferenceSession.create(out);
      assert.ok(session.inputNames.length === 1);
    }
  });

  it('writes a layer to take home: a PyTorch module, a TF.js layer, its layer JSON, its formula in LaTeX', () => {
    const written: Record<string, string> = {};
    for (const [format, ext] of [
      ['torch', 'py'],
      ['tfjs', 'mjs'],
      ['json', 'json'],
      ['latex', 'tex'],
    ] as const) {
      const out = join(dir, `b0.${ext}`);
      const r = run('export', '--layer', 'evonorm-b0', '--format', format, '--out', out);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`wrote .*b0\\.${ext} \\(evonorm-b0, ${format}\\)`));
      written[format] = readFileSync(out, 'utf8');
    }
    assert.match(written.torch!, /class EvonormB0\(nn\.Module\):/);
    assert.match(written.tfjs!, /export class EvonormB0 extends tf\.layers\.Layer \{/);
    assert.deepEqual(JSON.parse(written.json!), layerJson(zooLayer('evonorm-b0').graph));
    assert.equal(written.latex!.trim(), renderFormula(zooLayer('evonorm-b0').graph, 'latex'));
    const mixed = run('export', '--layer', 'evonorm-b0', '--format', 'torch', '--network', 'resnet_v2', '--out', join(dir, 'x.py'));
    assert.equal(mixed.code, 2);
    assert.match(mixed.stderr, /--network and --functions export an ONNX model/);
  });

  it('explains bad input with exit code 2', () => {
    const unknown = run('export', '--layer', 'no-such-layer', '--out', join(dir, 'x.onnx'));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /neither a zoo layer \(bn-relu, gn-relu/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ nodes: [{ op: 'add', inputs: [0, 9] }] }));
    const invalid = run('export', '--layer', bad, '--out', join(dir, 'x.onnx'));
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /nodes\[0\]\.inputs\[1\]: node 4 .* input 1 is 9/);
    assert.equal(run('export', '--layer', 'evonorm-s0').code, 2);
    assert.equal(run('frobnicate').code, 2);
  });
});

describe('evonorm bench', () => {
  it('prints JSON lines for layers (naive and optimized) and networks at CI-sized shapes', () => {
    const r = run(
      'bench',
      '--ep',
      'cpu',
      '--json',
      '--shapes',
      '2x32x8x8',
      '--layers',
      'relu,bn-relu,evonorm-b0',
      '--chain',
      '2',
      '--repeats',
      '2',
      '--min-seconds',
      '0',
      '--networks',
      'resnet_v2',
      '--batch',
      '2',
    );
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const layers = rows.filter((x) => x.bench === 'layer');
    assert.deepEqual(
      layers.map((x) => `${x.layer}/${x.export}`),
      ['relu/stock', 'bn-relu/naive', 'bn-relu/optimized', 'evonorm-b0/naive', 'evonorm-b0/optimized'],
    );
    // The bandwidth row is a finite number or an error (at a shape this small a chain of ReLUs may
    // not be measurably slower than the generator), never null; layer rows get a floor only with a number.
    const bandwidth = rows.filter((x) => x.bench === 'bandwidth');
    assert.equal(bandwidth.length, 1);
    const gbPerS = bandwidth[0]!.gb_per_s;
    assert.ok((typeof gbPerS === 'number' && Number.isFinite(gbPerS) && gbPerS > 0) || (gbPerS === undefined && typeof bandwidth[0]!.error === 'string'), JSON.stringify(bandwidth[0]));
    for (const row of layers) {
      assert.ok(typeof row.per_layer_ms === 'number' && row.per_layer_ms >= 0);
      assert.equal(row.floor_bytes, 2 * 2 * 32 * 8 * 8 * 4);
      assert.equal(row.runs, 2);
      assert.equal(typeof row.floor_ms, gbPerS === undefined ? 'undefined' : 'number');
    }
    assert.equal(rows.filter((x) => x.bench === 'network').length, 4);
  });

  it('prints a table without --json and rejects bad options', () => {
    const r = run('bench', '--shapes', '1x8x4x4', '--layers', 'evonorm-s0', '--chain', '1', '--repeats', '1', '--min-seconds', '0', '--networks', 'none');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /per-layer latency/);
    assert.match(r.stdout, /evonorm-s0\s+optimized/);
    assert.equal(run('bench', '--ep', 'tpu').code, 2);
    assert.match(run('bench', '--shapes', '1x2x3').stderr, /must be 4 positive integers/);
  });

  it('says what is missing when CUDA is asked for on a machine without it', () => {
    const r = run('bench', '--ep', 'cuda', '--shapes', '1x8x4x4', '--layers', 'relu', '--networks', 'none', '--repeats', '1');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /CUDA execution provider could not be used/);
    assert.match(r.stderr, /setup-cuda\.sh/);
  });
});

describe('--ep cuda on a machine without it', () => {
  it('search and rerank stop at start with the provider message, before any replica or run folder', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'evonorm-ep-')), 'run');
    const search = run('search', '--dir', dir, '--dataset', 'synthetic', '--candidates', '1', '--ep', 'cuda');
    assert.equal(search.code, 2, search.stderr);
    assert.match(search.stderr, /--ep cuda --device 0: ONNX Runtime's CUDA execution provider could not be used/);
    assert.match(search.stderr, /tools\/setup-cuda\.sh/);
    assert.equal(existsSync(dir), false, 'no run folder written');
    const rerank = run('rerank', dir, '--ep', 'cuda');
    assert.equal(rerank.code, 2, rerank.stderr);
    assert.match(rerank.stderr, /CUDA execution provider could not be used/);
    const remote = run('search', '--dir', dir, '--selection', 'a:1', '--mutation', 'a:2', '--rejection', 'a:3', '--training', 'a:4', '--ep', 'cuda');
    assert.equal(remote.code, 2);
    assert.match(remote.stderr, /--replicas-per-gpu place the training replicas a search starts itself/);
  });
});

describe('evonorm output through a pipe', () => {
  it('writes all of a JSON answer longer than a pipe buffer (64 KiB) before it exits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evonorm-pipe-'));
    writeRun(dir, { version: 1, plan: { ...DEFAULT_PLAN, minutes: 0, candidates: 300 }, createdUnixMs: 0 });
    const store = SearchStore.open(join(dir, 'search.sqlite'));
    const graph = graphToProto(zooLayer('evonorm-b0').graph);
    for (let i = 0; i < 300; i++) {
      const hash = (i + 1).toString(16).padStart(16, '0');
      const scores = ['resnet_v2', 'mobilenet_v2'].map((architecture) => ({ architecture, accuracy: 0.5 + i / 1000, loss: 1, steps: 80, seconds: 10, seedAccuracies: [0.5 + i / 1000] }));
      store.report(
        Candidate.fromPartial({
          id: `c${String(i).padStart(6, '0')}`,
          graph,
          hashes: { structural: hash, functional: hash },
          fitness: { scores, meanAccuracy: 0.5 + i / 1000 },
          formula: { text: 'x / max(…)' },
        }),
        12,
      );
    }
    store.close();
    // A reader that starts late, as a pager or a busy jq does: the pipe fills before anyone reads it.
    const piped = spawnSync('sh', ['-c', '"$0" "$1" top "$2" -n 300 --json | (sleep 0.5; cat)', process.execPath, CLI, dir], { encoding: 'utf8' });
    assert.equal(piped.status, 0, piped.stderr);
    assert.ok(piped.stdout.length > 65_536, `${piped.stdout.length} characters: long enough to need more than one pipe buffer`);
    assert.equal((JSON.parse(piped.stdout) as { layers: unknown[] }).layers.length, 300);
  });
});
