/**
 * tools/gpu-bench.sh, the one command for every GPU figure, as a dry run on this CPU-only machine
 * (`--ep cpu --quick`, about a minute): every kind of JSON line it promises is there and parses.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, 'tools', 'gpu-bench.sh');

type Line = Record<string, unknown> & { bench: string };

describe('tools/gpu-bench.sh', () => {
  it('dry-runs every step on the CPU and writes every kind of line, each valid JSON', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'evonorm-gpu-bench-')), 'out.jsonl');
    const run = spawnSync('bash', [SCRIPT, out, '--ep', 'cpu', '--quick'], { encoding: 'utf8', timeout: 170_000 });
    assert.equal(run.status, 0, `${run.stderr}\n${readFileSync(out.replace(/\.jsonl$/, '.log'), 'utf8').slice(-3000)}`);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    const of = (kind: string): Line[] => lines.filter((l) => l.bench === kind);

    assert.equal(of('machine').length, 1);
    assert.equal(of('machine')[0]!.ep, 'cpu');
    const steps = of('step');
    assert.deepEqual(
      steps.map((s) => s.step),
      ['layer', 'network', 'train', 'parity', 'search', 'bench-from'],
    );
    for (const s of steps) assert.equal(s.rc, 0, JSON.stringify(s));
    assert.deepEqual(
      of('done').map((d) => d.failed),
      [0],
    );

    // Layer bench, fp32 and fp16: the ReLU floor and the four zoo layers, naive and optimized.
    for (const bw of of('bandwidth')) {
      assert.ok((typeof bw.gb_per_s === 'number' && Number.isFinite(bw.gb_per_s) && bw.gb_per_s > 0) || typeof bw.error === 'string', JSON.stringify(bw));
    }
    const layers = of('layer').filter((l) => l.error === undefined);
    for (const dtype of ['float32', 'float16']) {
      const names = new Set(layers.filter((l) => l.dtype === dtype).map((l) => `${l.layer}/${l.export}`));
      for (const want of ['relu/stock', 'bn-relu/naive', 'bn-relu/optimized', 'gn-relu/optimized', 'evonorm-b0/naive', 'evonorm-s0/optimized']) {
        assert.ok(names.has(want), `${dtype} ${want} missing`);
      }
    }
    for (const l of layers) assert.ok(typeof l.per_layer_ms === 'number' && (l.per_layer_ms as number) >= 0);

    // Whole networks: three architectures × BN-ReLU, EvoNorm-B0, EvoNorm-S0.
    const networks = new Set(
      of('network')
        .filter((n) => typeof n.latency_ms === 'number')
        .map((n) => `${n.network}/${n.layer}`),
    );
    for (const net of ['resnet_v2', 'mobilenet_v2', 'efficientnet_b0']) for (const layer of ['bn-relu', 'evonorm-b0', 'evonorm-s0']) assert.ok(networks.has(`${net}/${layer}`), `${net}/${layer}`);

    // Training images/s next to the same run's Conv reference, with FLOPs per image.
    assert.ok(of('conv_reference').length >= 2, 'train:bench and search:bench each measure their reference');
    for (const c of of('conv_reference')) assert.ok((c.gflop_per_s as number) > 0);
    const train = of('train').filter((t) => t.metric === 'images_per_s');
    assert.deepEqual([...new Set(train.map((t) => t.architecture))].sort(), ['efficientnet_b0', 'mobilenet_v2', 'resnet_v2']);
    for (const t of train) {
      assert.ok((t.value as number) > 0 && (t.training_mflop_per_image as number) > 0 && (t.conv_gflop_per_s as number) > 0, JSON.stringify(t));
      assert.ok((t.fraction_of_conv as number) > 0);
    }

    // Parity of the loss after N steps, BN-ReLU and EvoNorm-S0.
    assert.deepEqual(
      of('parity').map((p) => [p.layer, p.pass]),
      [
        ['bn-relu', true],
        ['evonorm-s0', true],
      ],
    );

    // Search throughput and screening.
    const search = of('search');
    assert.ok(search.some((s) => s.metric === 'evaluated_candidates_per_hour' && (s.value as number) > 0 && s.replicas === 1));
    assert.ok(search.some((s) => s.metric === 'screens_per_s'));

    // bench --from: the search's best layers in the same table as the zoo and the floor.
    const fromStep = lines.findIndex((l) => l.bench === 'step' && l.step === 'search');
    const fromRows = lines.slice(fromStep + 1).filter((l) => l.bench === 'layer');
    assert.ok(
      fromRows.some((l) => /^1-c\d+$/.test(String(l.layer))),
      'a ranked search layer',
    );
    assert.ok(fromRows.some((l) => l.layer === 'relu') && fromRows.some((l) => l.layer === 'evonorm-s0'));
  });

  it('answers bad arguments with exit 2 and the usage', () => {
    const bad = spawnSync('bash', [SCRIPT, join(tmpdir(), 'x.jsonl'), '--ep', 'tpu'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--ep must be cpu or cuda/);
    const noRun = spawnSync('bash', [SCRIPT, join(tmpdir(), 'x.jsonl'), '--run', '/no/such/folder'], { encoding: 'utf8' });
    assert.equal(noRun.status, 2);
    assert.match(noRun.stderr, /is not a folder/);
  });
});
