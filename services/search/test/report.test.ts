/**
 * `evonorm report` in a real browser (Debian's Chromium through puppeteer-core): the report of a
 * tiny seeded search opens from disk with no network and no console error, plots every candidate,
 * rings exactly the Pareto front a real selection service returns for that history, and typesets
 * every formula with KaTeX. One search (before) serves every assertion.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Candidate } from '@evonorm/contracts';
import { topCandidates } from '../src/search/ranking.js';
import { readRun } from '../src/search/run-folder.js';
import { drawn, launchChromium, openPage, textOf, type OpenedPage } from './report-browser.js';
import { TINY_SEARCH, cli, selectionFront, startSelection, storedHistory } from './report-fixtures.js';

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
  });

  it('answers a bad command line with its usage', () => {
    const r = cli('report');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: evonorm report <dir>/);
    assert.ok(!existsSync(join(root, 'nothing', 'report.html')));
  });
});
