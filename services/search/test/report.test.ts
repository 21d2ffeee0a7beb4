/**
 * `evonorm report` in a real browser (Debian's Chromium through puppeteer-core): the report of a
 * tiny seeded search opens from disk with no network and no console error, plots every candidate,
 * rings exactly the Pareto front a real selection service returns for that history, typesets
 * every formula with KaTeX, and draws the run's rerank.json (a real tiny rerank: the best layer
 * against BN-ReLU on two seeds, one architecture held out). One search (before) serves every assertion.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Candidate } from '@evonorm/contracts';
import { structuralHash, zooLayers } from '@evonorm/graph';
import { topCandidates } from '../src/search/ranking.js';
import type { CompareResult } from '../src/commands/compare.js';
import { seedLeadsText, separationText } from '../src/search/separation.js';
import type { RerankResult } from '../src/search/rerank.js';
import { readRun } from '../src/search/run-folder.js';
import { drawn, launchChromium, openPage, textOf, type OpenedPage } from './report-browser.js';
import { TINY_SEARCH, cli, selectionFront, startSelection, storedHistory } from './report-fixtures.js';
import { tinySearchFlags } from './tiny-search.js';
import { ladderEntry } from '../src/search/ladder-entry.js';
import { ladderSaving, ladderTotals } from '../src/search/ladder.js';

const SCREENSHOTS = resolve('tmp', 'screenshots');

describe('evonorm report (headless Chromium)', () => {
  const root = mkdtempSync(join(tmpdir(), 'evonorm-report-'));
  const dir = join(root, 'run');
  const out = join(root, 'report.html');
  let history: Candidate[];
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let opened: OpenedPage;

  before(async () => {
    const search = cli('search', '--dir', dir, ...TINY_SEARCH, '--seed', '11', '--candidates', '14');
    assert.equal(search.code, 0, search.stderr);
    assert.match(search.stdout, new RegExp(`evonorm report ${dir}.*evonorm dashboard ${dir}`), 'the search names both commands at the end');
    const rerank = cli('rerank', dir, '--top', '1', '--baselines', 'bn-relu', '--seeds', '2', '--steps', '8', '--replicas', '2', '--architectures', 'resnet_v2,mobilenet_v2,efficientnet_b0');
    assert.equal(rerank.code, 0, rerank.stderr);
    const report = cli('report', dir, '--out', out);
    assert.equal(report.code, 0, report.stderr);
    history = storedHistory(join(dir, 'search.sqlite'));
    chromium = await launchChromium();
    opened = await openPage(chromium.browser, pathToFileURL(out).href);
    await opened.page.waitForSelector('body[data-rendered]', { timeout: 10_000 });
  });

  after(async () => {
    if (opened) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await opened.page.screenshot({ path: join(SCREENSHOTS, 'report.png'), fullPage: true });
      await opened.page.screenshot({ path: join(SCREENSHOTS, 'report-top.png'), clip: { x: 0, y: 0, width: 1280, height: 900 } });
    }
    await chromium?.close();
  });

  it('is one self-contained file: scripts, styles and KaTeX fonts inline, every fetch forbidden', () => {
    const html = readFileSync(out, 'utf8');
    assert.ok(statSync(out).size < 3 * 1024 * 1024, `${statSync(out).size} bytes`);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/i, 'no external script or stylesheet');
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    assert.doesNotMatch(css, /url\((?!data:)/, 'every url() in the styles is inline data');
    assert.match(html, /default-src 'none'/);
    assert.match(html, /connect-src 'none'/);
    assert.ok((html.match(/data:font\/woff2;base64,/g) ?? []).length >= 15, 'KaTeX fonts inlined');
  });

  it('opens from disk with no console error and no failed request', () => {
    assert.deepEqual(opened.errors, []);
  });

  it('plots every candidate once, by index', async () => {
    const { plotted } = await drawn(opened.page);
    assert.equal(history.length, 14);
    assert.deepEqual(plotted.slice().sort(), history.map((c) => c.id).sort());
  });

  it("rings exactly the front of selection's GetParetoFront over the same history", async () => {
    const copy = join(root, 'front.sqlite');
    copyFileSync(join(dir, 'search.sqlite'), copy);
    const selection = await startSelection(copy, readRun(dir).plan);
    try {
      const expected = await selectionFront(selection.address);
      assert.ok(expected.length > 0);
      const { front } = await drawn(opened.page);
      assert.deepEqual(front.slice().sort(), expected.slice().sort());
    } finally {
      await selection.stop();
    }
  });

  it('typesets every formula with KaTeX, with no KaTeX error', async () => {
    const d = await drawn(opened.page);
    const rows = await opened.page.$$eval('#top tbody tr', (trs) => trs.length);
    assert.ok(rows > 0);
    assert.ok(d.formulas >= rows + 1, `${d.formulas} formulas for ${rows} top rows and the answer`);
    assert.equal(d.katex, d.formulas);
    assert.equal(d.katexErrors, 0);
  });

  it('plots accuracy against inference cost for every timed layer, ringing the layers no other beats on both', async () => {
    const timed = history.filter((c) => c.fitness && c.cost);
    assert.ok(timed.length > 0 && timed.length === history.filter((c) => c.fitness && !c.duplicateOf).length, 'the search timed every evaluated original');
    const marks = await opened.page.$$eval('figure[data-plot="cost"] circle[data-id]', (cs) => cs.map((c) => [c.getAttribute('data-id'), c.getAttribute('data-front') === 'true']));
    assert.deepEqual(marks.map(([id]) => id).sort(), timed.map((c) => c.id).sort());
    const mean = (c: Candidate): number => c.fitness!.scores.reduce((s, x) => s + x.accuracy, 0) / c.fitness!.scores.length;
    const beaten = (c: Candidate): boolean => timed.some((o) => o !== c && mean(o) >= mean(c) && o.cost!.ratio <= c.cost!.ratio && (mean(o) > mean(c) || o.cost!.ratio < c.cost!.ratio));
    assert.deepEqual(
      marks
        .filter(([, front]) => front)
        .map(([id]) => id)
        .sort(),
      timed
        .filter((c) => !beaten(c))
        .map((c) => c.id)
        .sort(),
    );
    const costs = await opened.page.$$eval('#top td.cost', (tds) => tds.map((td) => (td as unknown as { innerText: string }).innerText));
    assert.ok(costs.length > 0 && costs.every((t) => /^\d+\.\d×$/.test(t)), costs.join(', '));
  });

  it('labels every zoo layer on the cost and accuracy plots with no two labels overlapping', async () => {
    const boxes = await opened.page.$$eval('figure[data-plot] text[data-label-dy]', (texts) =>
      texts.map((t) => {
        const r = t.getBoundingClientRect();
        return { plot: t.closest('figure')!.getAttribute('data-plot')!, label: t.textContent!, x0: r.left, x1: r.right, y0: r.top, y1: r.bottom };
      }),
    );
    const zooByHash = new Map(zooLayers().map((z) => [structuralHash(z.graph), z.name]));
    const zoo = new Set(history.filter((c) => c.fitness && c.cost && zooByHash.has(c.hashes!.structural)).map((c) => zooByHash.get(c.hashes!.structural)));
    assert.ok(zoo.size > 1, 'the tiny search evaluated several zoo layers');
    assert.deepEqual(new Set(boxes.filter((b) => b.plot === 'cost').map((b) => b.label)), zoo);
    for (const [i, a] of boxes.entries())
      for (const b of boxes.slice(i + 1)) if (a.plot === b.plot) assert.ok(a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0, `${a.plot}: ${a.label} overlaps ${b.label}`);
  });

  it("draws the funnel with each rung's compute and the ladder's saving, from the stored timings", async () => {
    const totals = ladderTotals(history.map(ladderEntry));
    const saving = ladderSaving(totals);
    assert.ok(totals.stabilitySeconds > 0 && totals.microSeconds > 0 && totals.qualitySeconds > 0 && totals.evaluationSeconds > 0, 'every rung recorded its compute');
    assert.ok(saving.factor !== null && saving.factor > 0);
    const compute = await opened.page.$$eval('#funnel .funnel-row', (rows) =>
      rows.map((r) => [r.getAttribute('data-stage'), (r.querySelector('.funnel-compute') as unknown as { innerText: string }).innerText]),
    );
    assert.deepEqual(compute, [
      ['proposed', ''],
      ['passed static + probe checks', ''],
      ['passed micro-quality rung', `${totals.microSeconds.toFixed(0)} s`],
      ['stable', `${totals.stabilitySeconds.toFixed(0)} s`],
      ['passed quality test', `${totals.qualitySeconds.toFixed(0)} s`],
      ['evaluated', `${totals.evaluationSeconds.toFixed(0)} s`],
    ]);
    const note = await textOf(opened.page, '#funnel [data-ladder]');
    assert.match(note, new RegExp(`${saving.spent.toFixed(0)} s in all`));
    assert.match(
      note,
      new RegExp(
        `all ${totals.screenedIn} candidates .* would have cost ${saving.fullBudget!.toFixed(0)} s: the ladder spent ${saving.factor! >= 1 ? `${saving.factor!.toFixed(1)}× less` : `${(1 / saving.factor!).toFixed(1)}× more`}`,
      ),
    );
  });

  it('answers which layer is best, against BN-ReLU, per architecture, with how sure we are', async () => {
    const best = topCandidates(history, 1)[0]!;
    const text = await textOf(opened.page, '#answer');
    assert.match(text, new RegExp(`Best layer: ${best.id}`));
    assert.match(text, /BN-ReLU \(c000000\)/, 'names the zoo BN-ReLU candidate');
    for (const a of ['resnet_v2', 'mobilenet_v2']) assert.match(text, new RegExp(a));
    assert.match(text, /single training run with one seed/);
    const lineage = await opened.page.$$eval('#lineage li', (items) => items.map((li) => li.getAttribute('data-id')));
    assert.equal(lineage.at(-1), best.id);
    const plan = await textOf(opened.page, '#plan');
    for (const flag of ['seed', 'architectures', 'evaluation-steps', 'engine', 'training replicas']) assert.match(plan, new RegExp(flag));
    assert.match(plan, /execution provider\s+cpu/, "services.json records the local replicas' execution provider");
    assert.doesNotMatch(plan, /no producer|does not draw it yet/);
  });

  it('draws rerank.json: every layer × architecture as mean ± 95% CI, the paired difference to BN-ReLU, held-out marked, and answers from it', async () => {
    const rerank = JSON.parse(readFileSync(join(dir, 'rerank.json'), 'utf8')) as RerankResult;
    const rows = await opened.page.$$eval('#rerank-table tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-layer')));
    assert.deepEqual(
      rows,
      rerank.layers.map((l) => l.name),
    );
    assert.equal(rows.length, 2, 'the best layer and BN-ReLU');
    const head = await textOf(opened.page, '#rerank-table thead');
    assert.match(head, /efficientnet_b0 \(held out\)/);
    assert.doesNotMatch(head, /resnet_v2 \(held out\)/);
    const candidate = rerank.layers.find((l) => l.kind === 'candidate')!;
    const cell = await textOf(opened.page, `#rerank-table tr[data-layer="${candidate.name}"] td[data-arch="mobilenet_v2"]`);
    const m = candidate.architectures.mobilenet_v2!;
    assert.match(cell, new RegExp(`^${(100 * m.mean).toFixed(1)}% ± ${(100 * m.halfWidth!).toFixed(1)}`), 'mean ± 95% CI over the two seeds');
    const d = m.vsReference!;
    assert.ok(cell.includes(`${d.mean >= 0 ? '+' : '−'}${Math.abs(100 * d.mean).toFixed(1)} ± ${(100 * d.halfWidth!).toFixed(1)} pts`), `paired difference in ${cell}`);
    const answerText = await textOf(opened.page, '#answer');
    assert.match(answerText, new RegExp(`Best layer after re-ranking: ${rerank.layers[0]!.name}`));
    assert.match(answerText, /paired by seed|itself has the best mean test accuracy/);
    assert.match(answerText, /How sure: the paired 95% interval/);
    const typeset = await opened.page.$$eval('#rerank-table .formula > .katex', (spans) => spans.length);
    assert.equal(typeset, 2, "both layers' formulas typeset by KaTeX (the candidate's and the zoo BN-ReLU's LaTeX from the history)");
    const d2 = await drawn(opened.page);
    assert.equal(d2.katex, d2.formulas, 'KaTeX still typesets every formula');
    assert.equal(d2.katexErrors, 0);
    assert.deepEqual(opened.errors, []);
  });

  it('answers a bad command line with its usage', () => {
    const r = cli('report');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: evonorm report <dir>/);
    assert.ok(!existsSync(join(root, 'nothing', 'report.html')));
  });
});

describe('evonorm report of an evonorm compare folder (headless Chromium)', () => {
  const root = mkdtempSync(join(tmpdir(), 'evonorm-report-compare-'));
  const dir = join(root, 'cmp');
  let compare: CompareResult;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let opened: OpenedPage;

  before(async () => {
    // A real tiny comparison (about 35 s here): 2 strategies × 2 seeds × 5 candidates, then a rerank on two seeds.
    const searchFlags = tinySearchFlags(['resnet_v2'], { depth: 0.25 });
    const r = cli(
      'compare',
      '--dir',
      dir,
      '--strategies',
      'evolve,random',
      '--seeds',
      '2',
      '--seed',
      '5',
      '--candidates',
      '5',
      '--rerank-seeds',
      '2',
      '--rerank-steps',
      '8',
      '--replicas',
      '2',
      ...searchFlags,
    );
    assert.equal(r.code, 0, r.stderr);
    compare = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8')) as CompareResult;
    const report = cli('report', dir);
    assert.equal(report.code, 0, report.stderr);
    chromium = await launchChromium();
    opened = await openPage(chromium.browser, pathToFileURL(join(dir, 'report.html')).href);
    await opened.page.waitForSelector('body[data-rendered]', { timeout: 10_000 });
  });

  after(async () => {
    if (opened) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await opened.page.screenshot({ path: join(SCREENSHOTS, 'report-compare.png'), fullPage: true });
    }
    await chromium?.close();
  });

  it('draws a best-so-far curve per strategy with its band over seeds, every search, and no console error', async () => {
    assert.deepEqual(opened.errors, []);
    const curves = await opened.page.$$eval('[data-plot="compare-curves"] svg path', (paths) => paths.length);
    // Per strategy: one mean line and one band; per search: its own line.
    assert.ok(curves >= 2 * compare.strategies.length + compare.searches.length, `${curves} paths`);
    const searches = await opened.page.$$eval('#compare-searches tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-search')));
    assert.deepEqual(
      searches,
      compare.searches.map((s) => s.name),
    );
    const text = await textOf(opened.page, '#compare');
    for (const [strategy, points] of Object.entries(compare.summary)) {
      const last = points.at(-1)!;
      assert.equal(last.n, 2);
      assert.ok(text.includes(`${strategy}: ${(100 * last.mean).toFixed(1)}% ± ${(100 * last.halfWidth!).toFixed(1)} after ${last.candidates} candidates`), `${strategy}'s last point in ${text}`);
    }
    // The same compute: the mean by training seconds, with each search's own line.
    const bySeconds = Object.entries(compare.summaryBySeconds).filter(([, points]) => points.length > 0);
    const secondsPaths = await opened.page.$$eval('[data-plot="compare-curves-seconds"] svg path', (paths) => paths.length);
    assert.ok(secondsPaths >= bySeconds.length + compare.searches.length, `${secondsPaths} paths`);
    for (const [arm, points] of bySeconds) {
      const last = points.at(-1)!;
      assert.ok(text.includes(`${arm}: ${(100 * last.mean).toFixed(1)}%`) && text.includes(`after ${Math.round(last.seconds)} training s`), `${arm} at equal compute in ${text}`);
    }
    // Whether the intervals come apart, in the words compare prints.
    assert.equal(compare.separations.length, 1);
    assert.ok(text.includes(separationText(compare.separations[0]!)), `separation in ${text}`);
    const [leads] = compare.seedLeads;
    assert.equal(leads!.seeds.length, 2);
    assert.ok(text.includes(seedLeadsText(leads!.arms, leads!.seeds)), `seed leads in ${text}`);
  });

  it("ranks each search's best against BN-ReLU and answers from that rerank", async () => {
    const rows = await opened.page.$$eval('#compare-rerank tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-layer')));
    assert.deepEqual(
      rows,
      compare.rerank!.layers.map((l) => l.name),
    );
    assert.ok(rows.includes('bn-relu'));
    const answerText = await textOf(opened.page, '#answer');
    assert.ok(answerText.includes(`Best layer after re-ranking: ${compare.rerank!.layers[0]!.name}`), answerText);
    assert.equal(await opened.page.$('#progress'), null, 'a comparison folder has no history of its own to plot');
    const d = await drawn(opened.page);
    assert.equal(d.katexErrors, 0);
  });
});
