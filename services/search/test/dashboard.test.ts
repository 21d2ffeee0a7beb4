/**
 * `evonorm dashboard` during a running tiny search, in Debian's Chromium: the live page logs no
 * error, shows each newly reported candidate within 5 s, rings the front the selection service's
 * GetParetoFront returns, typesets every formula, shows each training replica's reported load, and
 * serves the JSON API; once the search ends it reads the run folder's SQLite history instead.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { ReportData } from '../src/report/model.js';
import { readLiveServices, type LiveServices } from '../src/report/environment.js';
import { drawn, launchChromium, openPage, type OpenedPage } from './report-browser.js';
import { TINY_SEARCH, cli, cliInBackground, selectionFront, storedHistory } from './report-fixtures.js';

const SCREENSHOTS = resolve('tmp', 'screenshots');
const CANDIDATES = 14;

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** A dashboard process and its URL. */
async function startDashboard(...args: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const dashboard = cliInBackground('dashboard', ...args, '--port', '0');
  const url = await until('the dashboard URL', 20_000, () => /dashboard: (http:\/\/\S+)/.exec(dashboard.output())?.[1]);
  return { url, stop: async () => (dashboard.child.kill('SIGTERM'), void (await dashboard.exited)) };
}

const getJson = async (url: string): Promise<{ status: number; body: unknown }> => {
  const r = await fetch(url);
  return { status: r.status, body: await r.json() };
};

describe('evonorm dashboard (headless Chromium, during a running search)', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'evonorm-dashboard-')), 'run');
  let search: ReturnType<typeof cliInBackground>;
  let services: LiveServices;
  let dashboard: { url: string; stop: () => Promise<void> };
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let opened: OpenedPage;

  before(async () => {
    search = cliInBackground('search', '--dir', dir, ...TINY_SEARCH, '--seed', '5', '--candidates', String(CANDIDATES), '--json');
    services = await until('services.json of the running search', 60_000, () => {
      const live = readLiveServices(dir);
      return live && live.pid === search.child.pid ? live : undefined;
    });
    dashboard = await startDashboard(dir);
    chromium = await launchChromium();
    opened = await openPage(chromium.browser, dashboard.url);
    await opened.page.waitForSelector('body[data-rendered]', { timeout: 10_000 });
  });

  after(async () => {
    await chromium?.close();
    await dashboard?.stop();
    if (search && search.child.exitCode === null) search.child.kill('SIGINT');
  });

  it('binds 127.0.0.1 and serves the JSON API', async () => {
    assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const state = await getJson(`${dashboard.url}api/state`);
    assert.equal(state.status, 200);
    assert.ok(Array.isArray((state.body as ReportData).candidates));
    const front = await getJson(`${dashboard.url}api/front`);
    assert.match((front.body as { source: string }).source, /GetParetoFront/);
    assert.equal((await getJson(`${dashboard.url}api/nothing`)).status, 404);
  });

  it('shows every newly reported candidate within 5 s, while the search runs', async (t) => {
    const seen = new Set(storedHistory(join(dir, 'search.sqlite')).map((c) => c.id));
    const delays: number[] = [];
    while (delays.length < 3 && search.child.exitCode === null) {
      const fresh = storedHistory(join(dir, 'search.sqlite')).find((c) => !seen.has(c.id));
      if (!fresh) {
        await sleep(100);
        continue;
      }
      seen.add(fresh.id);
      const started = Date.now();
      await opened.page.waitForSelector(`[data-plot="history-index"] circle[data-id="${fresh.id}"]`, { timeout: 5_000 });
      delays.push(Date.now() - started);
    }
    assert.equal(delays.length, 3, `saw ${delays.length} new candidates before the search ended`);
    assert.ok(
      delays.every((ms) => ms < 5_000),
      delays.join(', '),
    );
    t.diagnostic(`new candidates shown after ${delays.join(', ')} ms`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await opened.page.screenshot({ path: join(SCREENSHOTS, 'dashboard.png'), fullPage: true });
  });

  it("rings the front of the running selection service's GetParetoFront", async () => {
    // The front moves while the search runs: compare once the page has caught up with the service.
    await until('the page front to equal GetParetoFront', 15_000, async () => {
      const expected = (await selectionFront(services.selection)).sort();
      const front = (await drawn(opened.page)).front.sort();
      return expected.length > 0 && JSON.stringify(front) === JSON.stringify(expected) ? true : undefined;
    });
  });

  it("shows each training replica's load as the replica reports it", async () => {
    const rows = await opened.page.$$eval('#replicas tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    assert.deepEqual(rows.map((r) => r[0]).sort(), services.training.split(',').sort());
    for (const [, running, queued, , engine, , , error] of rows) {
      assert.match(`${running} ${queued}`, /^\d+ \d+$/);
      assert.ok(engine && engine.length > 0, 'the replica answered GetWorkerInfo');
      assert.equal(error, '');
    }
    const replicas = await getJson(`${dashboard.url}api/replicas`);
    assert.equal((replicas.body as unknown[]).length, 2);
  });

  it('reads a remote search through --selection and --training', async () => {
    const remote = await startDashboard('--selection', services.selection, '--training', services.training);
    try {
      const { body } = await getJson(`${remote.url}api/state`);
      const state = body as ReportData;
      assert.ok(state.candidates.length > 0);
      assert.equal(state.replicas?.length, 2);
      assert.equal(state.plan.architectures, 'resnet_v2,mobilenet_v2');
    } finally {
      await remote.stop();
    }
  });

  it('typesets every formula and logs no console error', async () => {
    const d = await drawn(opened.page);
    assert.ok(d.formulas > 0);
    assert.equal(d.katex, d.formulas);
    assert.equal(d.katexErrors, 0);
    assert.deepEqual(opened.errors, []);
  });

  it('falls back to the run folder once the search has ended', async () => {
    assert.equal(await search.exited, 0, search.output().slice(-2000));
    const state = await until('the dashboard to read the finished search', 10_000, async () => {
      const s = (await getJson(`${dashboard.url}api/state`)).body as ReportData;
      return s.candidates.length === CANDIDATES && /not running/.test(s.status ?? '') ? s : undefined;
    });
    assert.match(state.frontSource, /SQLite/);
    await opened.page.waitForSelector(`main[data-candidates="${CANDIDATES}"]`, { timeout: 5_000 });
    assert.ok(existsSync(join(dir, 'search.sqlite')));
  });

  it('answers a bad command line with its usage', () => {
    const r = cli('dashboard');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: evonorm dashboard/);
  });
});
