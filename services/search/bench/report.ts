/**
 * The report at scale, one JSON line per figure:
 *   node services/search/dist/bench/report.js [--candidates 1000] [--runs 3] [--seed 1] [--keep]
 * Synthesizes a search history of --candidates candidates in a run folder's SQLite store (seeded
 * random graphs: the zoo, then mutations of earlier evaluated layers; evaluated, rejected for
 * several reasons, and duplicates; three architectures), writes its report with `evonorm report`,
 * and loads it from disk in headless Chromium. Figures: the file's size, the time `evonorm report`
 * took, and the time from navigation to the page fully drawn (median of --runs). The reference,
 * measured in the same run: the same for the report of an empty history (the page's fixed cost).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ArchitectureScore, Candidate, RejectionReason, graphFromProto, graphToProto } from '@evonorm/contracts';
import { Rng, mutate, renderFormula, structuralHash, zooLayers, type LayerGraph } from '@evonorm/graph';
import { SearchStore } from '@evonorm/store';
import { planFrom } from '../src/search/plan.js';
import { storePath, writeRun } from '../src/search/run-folder.js';
import { launchChromium } from '../test/report-browser.js';

const { values } = parseArgs({
  options: { candidates: { type: 'string', default: '1000' }, runs: { type: 'string', default: '3' }, seed: { type: 'string', default: '1' }, keep: { type: 'boolean', default: false } },
});
const CLI = fileURLToPath(new URL('../../bin/evonorm.js', import.meta.url));
const ARCHS = ['resnet_v2', 'mobilenet_v2', 'efficientnet_b0'];
const REJECTIONS = [
  RejectionReason.REJECTION_REASON_LOW_QUALITY,
  RejectionReason.REJECTION_REASON_UNSTABLE,
  RejectionReason.REJECTION_REASON_NON_FINITE,
  RejectionReason.REJECTION_REASON_CONSTANT_OUTPUT,
];

const clamp = (x: number): number => Math.min(0.99, Math.max(0.05, x));
const id = (i: number): string => `c${String(i).padStart(6, '0')}`;

/** A seeded synthetic history: zoo first, then children of earlier evaluated candidates. */
function synthesize(dir: string, count: number, seed: number): void {
  const rng = Rng.fromSeed(seed);
  writeRun(dir, {
    version: 1,
    plan: planFrom({ seed: String(seed), architectures: ARCHS.join(','), population: '100', candidates: String(count), dataset: 'synthetic' }),
    createdUnixMs: 1_790_000_000_000,
  });
  const store = SearchStore.open(storePath(dir));
  const evaluated: Array<{ id: string; graph: LayerGraph; scores: number[] }> = [];
  try {
    for (let i = 0; i < count; i++) {
      const zoo = zooLayers()[i];
      const parent = zoo ? undefined : rng.pick(evaluated);
      const graph = zoo ? zoo.graph : mutate(parent!.graph, rng).child;
      const base = parent ? parent.scores : ARCHS.map(() => 0.6 + 0.3 * rng.float());
      const scores = base.map((s) => clamp(s + 0.04 * rng.normal()));
      const draw = zoo ? 0 : rng.float();
      const candidate: Candidate = Candidate.fromPartial({
        id: id(i),
        graph: graphToProto(graph),
        hashes: { structural: structuralHash(graph), functional: '' },
        parentId: parent?.id ?? '',
        formula: { text: renderFormula(graph, 'text'), latex: renderFormula(graph, 'latex') },
        createdUnixMs: Candidate.fromPartial({}).createdUnixMs, // set below, whatever the 64-bit type
      });
      (candidate as { createdUnixMs: unknown }).createdUnixMs = typeof candidate.createdUnixMs === 'bigint' ? BigInt(1_790_000_000_000 + i * 2_000) : 1_790_000_000_000 + i * 2_000;
      const archScores = (s: number[]): ArchitectureScore[] => ARCHS.map((a, k) => ArchitectureScore.fromPartial({ architecture: a, accuracy: s[k]!, loss: 1 - s[k]!, steps: 80, seconds: 3 }));
      const fitness = (s: number[]): Candidate['fitness'] => ({ scores: archScores(s), meanAccuracy: s.reduce((x, y) => x + y, 0) / s.length });
      if (draw < 0.5) {
        candidate.fitness = fitness(scores);
        evaluated.push({ id: candidate.id, graph, scores });
      } else if (draw < 0.6 && evaluated.length > 0) {
        const original = rng.pick(evaluated);
        candidate.fitness = fitness(original.scores);
        candidate.duplicateOf = original.id;
      } else {
        const reason = rng.pick(REJECTIONS);
        candidate.rejection = { reason, detail: 'synthetic', problems: [], scores: reason === RejectionReason.REJECTION_REASON_LOW_QUALITY ? archScores(scores.map((s) => s / 4)) : [] };
      }
      if (!graphFromProto(candidate.graph, {}).ok) throw new Error(`synthesized an invalid graph for ${candidate.id}`);
      store.report(candidate, 100);
    }
  } finally {
    store.close();
  }
}

function writeReport(dir: string): { path: string; bytes: number; ms: number } {
  const path = join(dir, 'report.html');
  const started = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'report', dir, '--out', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return { path, bytes: statSync(path).size, ms: performance.now() - started };
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const root = mkdtempSync(join(tmpdir(), 'evonorm-bench-report-'));
const count = Number(values.candidates);
const runs = Number(values.runs);
const large = join(root, 'large');
const empty = join(root, 'empty');
synthesize(large, count, Number(values.seed));
synthesize(empty, 0, Number(values.seed));
const reports = { large: writeReport(large), empty: writeReport(empty) };
const chromium = await launchChromium();
try {
  const times: Record<string, { wall: number[]; page: number[]; circles: number }> = {};
  for (const [name, report] of Object.entries(reports)) {
    times[name] = { wall: [], page: [], circles: 0 };
    for (let run = 0; run < runs; run++) {
      const page = await chromium.browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const started = performance.now();
      await page.goto(pathToFileURL(report.path).href, { waitUntil: 'load' });
      await page.waitForSelector('body[data-rendered]', { timeout: 60_000 });
      times[name]!.wall.push(performance.now() - started);
      times[name]!.page.push(Number(await page.evaluate('document.body.dataset.readyMs')));
      times[name]!.circles = Number(await page.evaluate(`document.querySelectorAll('[data-plot="history-index"] circle[data-id]').length`));
      await page.close();
    }
  }
  const line = (figure: string, value: number, unit: string, reference: number, extra: Record<string, unknown> = {}): void =>
    console.log(JSON.stringify({ bench: 'report', figure, candidates: count, value: Number(value.toFixed(1)), unit, reference_empty_history: Number(reference.toFixed(1)), ...extra }));
  line('report file size', reports.large.bytes / 1024 / 1024, 'MB', reports.empty.bytes / 1024 / 1024, { target: '< 3 MB' });
  line('evonorm report (write the file)', reports.large.ms, 'ms', reports.empty.ms);
  line('Chromium: navigation to page drawn (in-page clock)', median(times.large!.page), 'ms', median(times.empty!.page), { target: '< 2000 ms', runs });
  line('Chromium: goto to drawn (driver clock)', median(times.large!.wall), 'ms', median(times.empty!.wall), { runs, plotted: times.large!.circles });
} finally {
  await chromium.close();
  if (!values.keep) rmSync(root, { recursive: true, force: true });
  else console.error(`kept ${root}`);
}
