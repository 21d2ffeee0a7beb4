/**
 * Fitness you can trust, end to end on the synthetic dataset: a tiny search that trains two seeds
 * per evaluation (every seed's score stored, mean ± 95% CI shown), a rerank of its best against one
 * baseline on two seeds (rerank.json, differences paired by seed, a held-out architecture), and a
 * comparison of two 6-candidate searches (compare.json) that a second run continues without redoing,
 * and that continues from its searches' history.jsonl alone (as committed, without SQLite),
 * a comparison of two values of one search flag (--vary), and a comparison interrupted with SIGINT that stops its search cleanly and continues it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { tinySearchFlags } from '@evonorm/search/testing';
import { CLI, TINY_FLAGS, cli, storedHistory } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'evonorm-seeds-'));
const SEARCH = join(root, 'search');
/** compare sets --minutes itself. */
const COMPARE_FLAGS = tinySearchFlags();

interface IntervalJson {
  n: number;
  mean: number;
  halfWidth: number | null;
  low: number | null;
  vsReference?: IntervalJson | null;
  accuracies?: number[];
}

describe('multi-seed evaluation, rerank and compare (embedded services)', () => {
  it('stores every seed of --evaluation-seeds 2 and shows mean ± 95% CI', () => {
    const r = cli('search', '--dir', SEARCH, ...TINY_FLAGS, '--replicas', '2', '--seed', '11', '--candidates', '8', '--evaluation-seeds', '2', '--json');
    assert.equal(r.code, 0, r.stderr);
    const evaluated = storedHistory(join(SEARCH, 'search.sqlite')).filter((c) => c.fitness && !c.duplicateOf);
    assert.ok(evaluated.length >= 1, 'some candidate was evaluated');
    const seedsOf = (i: number) => evaluated[i]!.fitness!.scores[0]!.seeds;
    for (const c of evaluated) {
      for (const s of c.fitness!.scores) {
        assert.equal(s.seedAccuracies.length, 2);
        assert.equal(s.seeds.length, 2);
        assert.notEqual(s.seeds[0], s.seeds[1], 'two different seeds');
        assert.ok(Math.abs(s.accuracy - (s.seedAccuracies[0]! + s.seedAccuracies[1]!) / 2) < 1e-12, 'the score is the mean of its seeds');
      }
      assert.deepEqual(c.fitness!.scores[0]!.seeds, seedsOf(0), 'every candidate trains on the same seeds (paired)');
    }
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; outcome?: string; halfWidth?: number | null });
    const shown = events.filter((e) => e.type === 'candidate' && e.outcome === 'evaluated');
    assert.ok(
      shown.every((e) => typeof e.halfWidth === 'number' && e.halfWidth >= 0),
      'evaluated events carry the CI half-width',
    );

    const top = cli('top', SEARCH, '-n', '3');
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /1\s+c\d{6}\s+\d+\.\d% ± \d+\.\d\s+\d+\.\d% ± \d+\.\d/);
    const json = cli('top', SEARCH, '--json');
    assert.equal(json.code, 0, json.stderr);
    const layer = (JSON.parse(json.stdout) as { layers: Array<{ interval: IntervalJson; intervals: Record<string, IntervalJson> }> }).layers[0]!;
    assert.equal(layer.interval.n, 2);
    assert.ok(layer.interval.halfWidth !== null && layer.interval.halfWidth >= 0);
    assert.equal(layer.intervals.resnet_v2!.n, 2);
  });

  it('gives contenders extra seeds under --adaptive-seeds, on the same seed sequence, the same way twice', () => {
    const runAdaptive = (name: string) => {
      const r = cli('search', '--dir', join(root, name), ...TINY_FLAGS, '--replicas', '2', '--seed', '11', '--candidates', '8', '--adaptive-seeds', '3', '--json');
      assert.equal(r.code, 0, r.stderr);
      return storedHistory(join(root, name, 'search.sqlite')).filter((c) => c.fitness);
    };
    const first = runAdaptive('adaptive-a');
    const counts = first.map((c) => c.fitness!.scores[0]!.seedAccuracies.length);
    assert.ok(
      counts.every((k) => k >= 1 && k <= 3),
      counts.join(','),
    );
    assert.ok(
      counts.some((k) => k > 1),
      `the first evaluated candidate leads, so it gains seeds: ${counts.join(',')}`,
    );
    const longest = first.map((c) => c.fitness!.scores[0]!.seeds).reduce((a, b) => (b.length > a.length ? b : a));
    for (const c of first) assert.deepEqual(c.fitness!.scores[0]!.seeds, longest.slice(0, c.fitness!.scores[0]!.seeds.length), 'seeds continue one sequence');
    const again = runAdaptive('adaptive-b');
    assert.deepEqual(
      again.map((c) => [c.id, c.fitness!.scores[0]!.seedAccuracies]),
      first.map((c) => [c.id, c.fitness!.scores[0]!.seedAccuracies]),
    );
  });

  it('reranks the best layer against one baseline on two seeds, paired by seed, with a held-out architecture', () => {
    const r = cli('rerank', SEARCH, '--top', '1', '--baselines', 'bn-relu', '--seeds', '2', '--steps', '8', '--replicas', '2', '--architectures', 'resnet_v2,mobilenet_v2');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /mobilenet_v2 \(held out\)/);
    assert.match(r.stdout, /bn-relu \(baseline\)/);
    const result = JSON.parse(readFileSync(join(SEARCH, 'rerank.json'), 'utf8')) as {
      version: number;
      split: string;
      seeds: string[];
      reference: string;
      architectures: Array<{ name: string; heldOut: boolean }>;
      layers: Array<{ name: string; kind: string; architectures: Record<string, IntervalJson & { accuracies: number[] }>; mean: IntervalJson }>;
    };
    assert.deepEqual([result.version, result.split, result.seeds.length, result.reference], [1, 'test', 2, 'bn-relu']);
    assert.deepEqual(
      result.architectures.map((a) => [a.name, a.heldOut]),
      [
        ['resnet_v2', false],
        ['mobilenet_v2', true],
      ],
    );
    assert.equal(result.layers.length, 2);
    const base = result.layers.find((l) => l.name === 'bn-relu')!;
    const candidate = result.layers.find((l) => l.kind === 'candidate')!;
    assert.equal(base.mean.vsReference, null);
    for (const arch of ['resnet_v2', 'mobilenet_v2']) {
      const mine = candidate.architectures[arch]!;
      const ref = base.architectures[arch]!;
      assert.equal(mine.accuracies.length, 2);
      const paired = (mine.accuracies[0]! - ref.accuracies[0]! + (mine.accuracies[1]! - ref.accuracies[1]!)) / 2;
      assert.ok(Math.abs(mine.vsReference!.mean - paired) < 1e-12, `${arch}: the difference is paired by seed`);
      assert.equal(mine.vsReference!.n, 2);
    }
  });

  it('compares two 6-candidate searches, writes compare.json, and continues rather than redoes', () => {
    const dir = join(root, 'compare');
    const args = [
      'compare',
      '--dir',
      dir,
      '--strategies',
      'evolve,random',
      '--seeds',
      '1',
      '--seed',
      '5',
      '--candidates',
      '6',
      '--rerank-seeds',
      '2',
      '--rerank-steps',
      '8',
      '--replicas',
      '2',
      ...COMPARE_FLAGS,
    ];
    const r = cli(...args);
    assert.equal(r.code, 0, r.stderr);
    const read = () =>
      JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8')) as {
        candidates: number;
        searches: Array<{
          name: string;
          strategy: string;
          candidates: number;
          byCandidates: Array<number | null>;
          bySeconds: Array<{ seconds: number; best: number | null }>;
          rejections: Record<string, number>;
          generalization: { layers: number; topQuarter: number; flips: number } | null;
        }>;
        pending: string[];
        generalization: Record<string, unknown>;
        summary: Record<string, Array<{ candidates: number; mean: number }>>;
        rerank: { reference: string; layers: Array<{ name: string }> };
      };
    const result = read();
    assert.deepEqual(result.pending, []);
    assert.deepEqual(
      result.searches.map((s) => [s.name, s.candidates]),
      [
        ['evolve-seed5', 6],
        ['random-seed5', 6],
      ],
    );
    for (const s of result.searches) {
      assert.equal(s.byCandidates.length, 6);
      assert.equal(s.bySeconds.length, 6);
      assert.ok(
        s.bySeconds.every((p, i) => i === 0 || p.seconds >= s.bySeconds[i - 1]!.seconds),
        'training seconds accumulate',
      );
      const known = s.byCandidates.filter((b): b is number => b !== null);
      assert.ok(
        known.every((b, i) => i === 0 || b >= known[i - 1]!),
        'best so far never falls',
      );
      assert.equal(typeof s.rejections, 'object');
      // Too few evaluated layers in 6 candidates for quarters, or counts that add up.
      assert.ok(s.generalization === null || (s.generalization.flips <= s.generalization.topQuarter && s.generalization.topQuarter <= s.generalization.layers), JSON.stringify(s.generalization));
    }
    assert.deepEqual(Object.keys(result.summary).sort(), ['evolve', 'random']);
    assert.deepEqual(Object.keys(result.generalization).sort(), ['evolve', 'random']);
    assert.equal(result.rerank.reference, 'bn-relu');
    assert.ok(result.rerank.layers.some((l) => l.name === 'bn-relu'));
    assert.ok(
      result.rerank.layers.some((l) => l.name === 'evonorm-b0'),
      'the paper’s layer is re-ranked beside BN-ReLU',
    );
    const baselines = new Set(['bn-relu', 'evonorm-b0']);
    const reranked = result.rerank.layers.filter((l) => !baselines.has(l.name)).flatMap((l) => l.name.split('/')[0]!.split('+'));
    assert.deepEqual(reranked.sort(), ['evolve-seed5', 'random-seed5'], "each search's best is re-ranked once; a best two searches share is one row");
    const random = storedHistory(join(dir, 'random-seed5', 'search.sqlite'));
    assert.ok(
      random.every((c) => c.parentId === ''),
      'the random strategy has no parents',
    );

    const again = cli(...args);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /running|continuing/, 'finished searches are not run again');
    assert.deepEqual(
      read().searches.map((s) => s.byCandidates),
      result.searches.map((s) => s.byCandidates),
    );
    const changed = cli(...args.map((a) => (a === '6' ? '7' : a)));
    assert.equal(changed.code, 2);
    assert.match(changed.stderr, /holds a comparison with other settings/);

    // Carried as text (what a committed experiment holds: no SQLite stores, no logs), the
    // comparison is still finished, and a search in it resumes from its history.jsonl.
    const carried = join(root, 'compare-carried');
    for (const name of ['evolve-seed5', 'random-seed5']) {
      mkdirSync(join(carried, name), { recursive: true });
      for (const file of ['search.json', 'history.jsonl']) copyFileSync(join(dir, name, file), join(carried, name, file));
    }
    copyFileSync(join(dir, 'compare-plan.json'), join(carried, 'compare-plan.json'));
    const fromText = cli(...args.map((a, i) => (a === dir ? carried : args[i - 1] === '--rerank-steps' ? '0' : a)));
    assert.equal(fromText.code, 0, fromText.stderr);
    assert.doesNotMatch(fromText.stderr, /running|continuing/, 'searches carried as text are finished');
    assert.deepEqual(
      (JSON.parse(readFileSync(join(carried, 'compare.json'), 'utf8')) as ReturnType<typeof read>).searches.map((s) => s.byCandidates),
      result.searches.map((s) => s.byCandidates),
    );
    const resumed = cli('search', '--resume', join(carried, 'evolve-seed5'), '--candidates', '8', '--replicas', '2');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /rebuilt .*search\.sqlite from .*history\.jsonl \(6 candidates\)/);
    const history = storedHistory(join(carried, 'evolve-seed5', 'search.sqlite'));
    assert.equal(history.length, 8);
    assert.deepEqual(history.slice(0, 6), storedHistory(join(dir, 'evolve-seed5', 'search.sqlite')));
  });

  it('compares settings of one search flag (--vary): a search per value, each with its value, summed up per arm', () => {
    const dir = join(root, 'compare-vary');
    const args = ['compare', '--dir', dir, '--strategies', 'evolve', '--vary', 'evaluation-seeds=1,2', '--seeds', '1', '--seed', '5', '--candidates', '4', '--rerank-steps', '0', '--replicas', '2'];
    const bad = cli(...args.map((a) => (a === 'evaluation-seeds=1,2' ? 'evaluation-seeds=1,99' : a)), ...COMPARE_FLAGS);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--vary evaluation-seeds=99: --evaluation-seeds must be an integer in 1\.\.64/);
    assert.ok(!existsSync(dir), 'a bad value fails before anything is written');

    const r = cli(...args, ...COMPARE_FLAGS);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8')) as {
      vary: string;
      arms: Array<{ name: string; flags: string[] }>;
      searches: Array<{ name: string; arm: string; strategy: string; trainingSeconds: number }>;
      summary: Record<string, unknown[]>;
      summaryBySeconds: Record<string, Array<{ seconds: number; n: number }>>;
    };
    assert.equal(result.vary, 'evaluation-seeds=1,2');
    assert.deepEqual(
      result.searches.map((s) => [s.name, s.arm, s.strategy]),
      [
        ['evolve-evaluation-seeds1-seed5', 'evolve-evaluation-seeds1', 'evolve'],
        ['evolve-evaluation-seeds2-seed5', 'evolve-evaluation-seeds2', 'evolve'],
      ],
    );
    for (const [k, name] of [
      [1, 'evolve-evaluation-seeds1-seed5'],
      [2, 'evolve-evaluation-seeds2-seed5'],
    ] as const) {
      const evaluated = storedHistory(join(dir, name, 'search.sqlite')).filter((c) => c.fitness && !c.duplicateOf);
      assert.ok(evaluated.length >= 1, `${name} evaluated a layer`);
      assert.ok(
        evaluated.every((c) => c.fitness!.scores.every((s) => s.seedAccuracies.length === k)),
        `${name} trained ${k} seed(s) per evaluation`,
      );
    }
    assert.deepEqual(Object.keys(result.summary), ['evolve-evaluation-seeds1', 'evolve-evaluation-seeds2']);
    const least = Math.min(...result.searches.map((s) => s.trainingSeconds));
    for (const curve of Object.values(result.summaryBySeconds)) assert.ok(curve.length > 0 && curve.every((p) => p.seconds <= least + 1e-9 && p.n === 1));
  });

  it('passes SIGINT on to its search, which stops cleanly with its events logged, and the same command continues it', { timeout: 240_000 }, async () => {
    const dir = join(root, 'compare-interrupted');
    const args = ['compare', '--dir', dir, '--strategies', 'evolve', '--seeds', '1', '--candidates', '12', '--rerank-steps', '0', '--replicas', '2', ...COMPARE_FLAGS];
    // The signal goes to the compare process alone, as `kill -INT` would send it (a terminal's
    // Ctrl-C would reach only compare too: its search runs in its own process group).
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const log = join(dir, 'evolve-seed0.log');
    while (!(existsSync(log) && readFileSync(log, 'utf8').includes('"type":"candidate"'))) await delay(50);
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /evolve-seed0 stopped \(exit 130/);
    const events = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; reason?: string; candidates?: number });
    const stop = events.find((e) => e.type === 'stop');
    assert.equal(stop?.reason, 'interrupted', 'the search stopped on the forwarded signal, not killed');
    const kept = storedHistory(join(dir, 'evolve-seed0', 'search.sqlite')).length;
    assert.ok(kept < 12, `stopped early (${kept} candidates kept)`);
    const archived = readFileSync(join(dir, 'evolve-seed0', 'history.jsonl'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(archived.length, 1 + kept, 'the stopped search is written as text too: a header and a line per kept candidate');

    const again = cli(...args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /continuing evolve-seed0/);
    assert.equal(storedHistory(join(dir, 'evolve-seed0', 'search.sqlite')).length, 12);
    assert.equal(
      readFileSync(join(dir, 'evolve-seed0', 'history.jsonl'), 'utf8')
        .trim()
        .split('\n').length,
      13,
      'and rewritten once it finishes',
    );
    const starts = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .filter((line) => line.includes('"type":"start"'));
    assert.equal(starts.length, 2, 'the resumed search appends to the log');
  });
});
