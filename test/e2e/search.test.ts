/**
 * `evonorm search` end to end, in the embedded default (every service a child process): a seeded
 * search completes and repeats exactly; a killed search resumes to the same result; results can
 * be listed and exported; bad input and a missing dataset get clear messages.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RejectionReason } from '@evonorm/contracts';
import { OP_NAMES, parseLayerGraph, structuralHash } from '@evonorm/graph';
import { CLI, TINY_FLAGS, cli, cliUntil, decisions, storedHistory } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'evonorm-e2e-'));
// Multi-fidelity on: its promotions must repeat and resume exactly too, with trainings finishing out of order on two replicas.
const MULTI_FIDELITY = ['--promotion-fraction', '0.5'];
const run = (name: string, ...extra: string[]) => cli('search', '--dir', join(root, name), ...TINY_FLAGS, ...MULTI_FIDELITY, '--replicas', '2', ...extra);

describe('evonorm search (embedded services)', () => {
  let reference: ReturnType<typeof storedHistory>;

  it('completes a seeded tiny search and reports every candidate as a JSON event', () => {
    const r = run('a', '--seed', '11', '--candidates', '14', '--json');
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; id?: string; outcome?: string; reason?: string });
    assert.equal(events[0]!.type, 'start');
    const candidates = events.filter((e) => e.type === 'candidate');
    assert.deepEqual(
      candidates.map((e) => e.id),
      Array.from({ length: 14 }, (_, i) => `c${String(i).padStart(6, '0')}`),
    );
    const stop = events.find((e) => e.type === 'stop') as { reason: string; candidates: number; ladder?: { qualitySeconds: number; saving: { factor: number | null } } } | undefined;
    assert.deepEqual([stop?.reason, stop?.candidates], ['candidates', 14]);
    assert.ok(stop?.ladder && stop.ladder.qualitySeconds > 0 && stop.ladder.saving.factor! > 0, 'the stop event carries the ladder’s compute');
    assert.ok(events.some((e) => e.type === 'top'));
    reference = storedHistory(join(root, 'a', 'search.sqlite'));
    assert.equal(reference.length, 14);
    assert.ok(
      reference.some((c) => c.fitness),
      'some candidate was evaluated',
    );
    assert.ok(
      reference.some((c) => c.rejection),
      'some candidate was rejected',
    );
    assert.ok(
      reference.some((c) => c.rejection?.reason === RejectionReason.REJECTION_REASON_NOT_PROMOTED),
      'some layer stopped at the quality rung, not promoted',
    );
    assert.ok(
      reference.filter((c) => c.fitness).every((c) => c.rungScores.length === 1 && c.timings!.qualityComputeSeconds > 0),
      'evaluated layers keep their rung score and its compute',
    );
    // Evolution: after the random initial population, children name their parents.
    assert.ok(
      reference.slice(4).some((c) => c.parentId !== ''),
      'mutated children after the initial population',
    );
    for (const c of reference.filter((x) => x.fitness)) {
      assert.equal(c.fitness!.scores.length, 1);
      assert.ok(c.fitness!.scores[0]!.accuracy >= 0 && c.fitness!.scores[0]!.accuracy <= 1);
      assert.ok(c.formula!.text.length > 0);
    }
  });

  it('gives the same result for the same seed', () => {
    const r = run('b', '--seed', '11', '--candidates', '14', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(decisions(storedHistory(join(root, 'b', 'search.sqlite'))), decisions(reference));
  });

  it('resumes a search killed mid-run (SIGKILL) to the result of an uninterrupted one', async () => {
    const dir = join(root, 'killed');
    const running = await cliUntil(['search', '--dir', dir, ...TINY_FLAGS, ...MULTI_FIDELITY, '--replicas', '2', '--seed', '11', '--candidates', '14', '--json'], /"id":"c000005"/);
    await running.kill('SIGKILL');
    const before = storedHistory(join(dir, 'search.sqlite')).length;
    assert.ok(before >= 6 && before < 14, `${before} candidates before the kill`);
    const resumed = cli('search', '--resume', dir, '--json');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`"resumedAt":${before}`));
    assert.deepEqual(decisions(storedHistory(join(dir, 'search.sqlite'))), decisions(reference));
  });

  it('lists the best layers and exports them to ONNX', () => {
    const top = cli('top', join(root, 'a'), '-n', '3');
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /14 candidates, \d+ evaluated/);
    assert.match(top.stdout, /rank\s+id\s+mean\s+resnet_v2\s+cost\s+formula/);
    assert.match(top.stdout, /^1\s+c\d{6}\s+\S+%\s+\S+%\s+\d+\.\d×\s/m, 'the best layer’s inference cost against BN-ReLU');
    const exported = cli('export', '--from', join(root, 'a'), '--top', '2');
    assert.equal(exported.code, 0, exported.stderr);
    const files = readdirSync(join(root, 'a', 'export'));
    assert.ok(files.some((f) => f.endsWith('.onnx')) && files.some((f) => f.endsWith('.json')), files.join(', '));
  });

  it('writes graphs as the documented layer JSON, which --layer reads back to the same layer', () => {
    const shown = cli('top', join(root, 'a'), '-n', '3', '--json');
    assert.equal(shown.code, 0, shown.stderr);
    const top = JSON.parse(shown.stdout) as { plan: { seed: unknown }; layers: Array<{ id: string; graph: { nodes: Array<Record<string, unknown>> } }> };
    assert.equal(top.plan.seed, '11', 'the uint64 seed is a decimal string, as proto JSON writes it');
    assert.ok(top.layers.length > 0);
    const stored = new Map(reference.map((c) => [c.id, c.hashes!.structural]));
    const files = join(root, 'layers');
    mkdirSync(files, { recursive: true });
    for (const layer of top.layers) {
      for (const node of layer.graph.nodes) {
        assert.ok(OP_NAMES.includes(node.op as never), `op ${JSON.stringify(node.op)} is a name`);
        assert.deepEqual(
          Object.keys(node).filter((k) => !['op', 'inputs', 'axes'].includes(k)),
          [],
          'nothing but op, inputs, axes',
        );
      }
      const parsed = parseLayerGraph(layer.graph);
      assert.ok(parsed.ok, `${layer.id}: ${JSON.stringify(parsed)}`);
      assert.equal(structuralHash(parsed.graph), stored.get(layer.id), `${layer.id}: the same canonical hash as the stored candidate`);
      const file = join(files, `${layer.id}.json`);
      writeFileSync(file, JSON.stringify(layer.graph));
      const exported = cli('export', '--layer', file, '--out', join(files, `${layer.id}.onnx`));
      assert.equal(exported.code, 0, exported.stderr);
    }
    // export --from saves the same layer JSON next to each model.
    const [best] = top.layers;
    const saved = JSON.parse(readFileSync(join(root, 'a', 'export', `1-${best!.id}.json`), 'utf8')) as unknown;
    assert.deepEqual(saved, best!.graph);
  });

  it('runs the random-search control through the same pipeline', () => {
    // The largest uint64 seed, as another language's client may draw it: search.json keeps it whole.
    const r = run('random', '--seed', '18446744073709551615', '--candidates', '8', '--strategy', 'random', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(readFileSync(join(root, 'random', 'search.json'), 'utf8')) as { plan: { seed: unknown } }).plan.seed, '18446744073709551615');
    const history = storedHistory(join(root, 'random', 'search.sqlite'));
    assert.equal(history.length, 8);
    assert.ok(
      history.every((c) => c.parentId === ''),
      'random search has no parents',
    );
  });

  it('prices layers: the cost rung rejects slow ones before training, and tournaments weigh cost (--objectives accuracy,cost)', () => {
    // 2.5: every zoo layer but BN-ReLU (1×) costs 3.5–8× here, BN-ReLU's ratio to itself stays near 1.
    const r = run('priced', '--seed', '11', '--candidates', '10', '--objectives', 'accuracy,cost', '--max-cost-ratio', '2.5', '--json');
    assert.equal(r.code, 0, r.stderr);
    const plan = (JSON.parse(readFileSync(join(root, 'priced', 'search.json'), 'utf8')) as { plan: { objectives: unknown; maxCostRatio: unknown } }).plan;
    assert.deepEqual([plan.objectives, plan.maxCostRatio], [['accuracy', 'cost'], 2.5]);
    const history = storedHistory(join(root, 'priced', 'search.sqlite'));
    const slow = history.filter((c) => c.rejection?.reason === RejectionReason.REJECTION_REASON_TOO_SLOW);
    assert.ok(slow.length > 0, 'the zoo has layers over 2.5× BN-ReLU');
    for (const c of slow) {
      assert.ok(c.cost!.ratio > 2.5, `${c.id}: ${c.cost!.ratio}`);
      assert.equal(c.timings!.stabilityComputeSeconds + c.timings!.microQualityComputeSeconds + c.timings!.qualityComputeSeconds, 0, 'rejected before any training');
      assert.ok(c.timings!.costComputeSeconds > 0);
    }
    // What went on to the trained rungs was priced first, within the limit.
    const trained = history.filter((c) => !c.duplicateOf && c.timings!.microQualityComputeSeconds + c.timings!.stabilityComputeSeconds > 0);
    assert.ok(trained.length > 0, 'BN-ReLU passes the cost rung');
    for (const c of trained) assert.ok(c.cost && c.cost.ratio <= 2.5, `${c.id} was trained at ${c.cost?.ratio}× BN-ReLU`);
  });

  it('says how to install Fashion-MNIST when it is missing', () => {
    const r = cli('search', '--dir', join(root, 'fm'), '--fashion-mnist-dir', join(root, 'no-such-folder'), '--candidates', '1');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Fashion-MNIST is not installed/);
    assert.match(r.stderr, /apt-get install dataset-fashion-mnist/);
    assert.equal(existsSync(join(root, 'fm', 'search.json')), false);
  });

  it('answers bad flags with a message that names the flag', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--population', '0'], /--population must be an integer in 1\.\.1000000/],
      [['--architectures', 'resnet_v2,vgg'], /--architectures must be a comma list/],
      [['--strategy', 'greedy'], /--strategy must be one of evolve, random/],
      [['--selection', '127.0.0.1:1'], /give all of --selection, --mutation, --rejection and --training/],
      [['--no-such-flag', '1'], /^evonorm: unknown flag --no-such-flag \(--help lists the flags\)/],
    ];
    for (const [flags, says] of cases) {
      const r = cli('search', '--dir', join(root, 'bad'), '--dataset', 'synthetic', ...flags);
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, says);
    }
    const resumeNothing = cli('search', '--resume', join(root, 'nothing'));
    assert.equal(resumeNothing.code, 2);
    assert.match(resumeNothing.stderr, /holds no search/);
    assert.ok(CLI.endsWith('evonorm.js'));
  });
});
