/**
 * Shared by the report and dashboard tests: Debian's Chromium (never a downloaded browser) driven by
 * puppeteer-core, with every console error and failed request collected, and what the page drew
 * (plotted candidate ids, front ids, formulas typeset by KaTeX) read back from its DOM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.EVONORM_CHROMIUM ?? '/usr/bin/chromium';

export interface OpenedPage {
  readonly page: Page;
  /** Console errors, page errors and failed requests seen so far. */
  readonly errors: string[];
}

export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'evonorm-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function openPage(browser: Browser, url: string, width = 1280): Promise<OpenedPage> {
  const page = await browser.newPage();
  await page.setViewport({ width, height: 900 });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${(error as Error).message}`));
  page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors };
}

export interface Drawn {
  /** data-id of every circle in the plot by candidate index. */
  readonly plotted: string[];
  /** data-id of the ringed (front) circles of the first per-architecture plot. */
  readonly front: string[];
  readonly formulas: number;
  readonly katex: number;
  readonly katexErrors: number;
  readonly renderMs: number;
}

/** Runs in the page (as source text: this project compiles without the DOM's types). */
const DRAWN = `(() => ({
  plotted: [...document.querySelectorAll('[data-plot="history-index"] circle[data-id]')].map((c) => c.getAttribute('data-id')),
  front: [...document.querySelectorAll('[data-plot="architectures-0"] circle[data-front]')].map((c) => c.getAttribute('data-id')),
  formulas: document.querySelectorAll('.formula').length,
  katex: document.querySelectorAll('.formula > .katex').length,
  katexErrors: document.querySelectorAll('.katex-error').length,
  renderMs: Number(document.body.dataset.renderMs ?? 'NaN'),
}))()`;

export function drawn(page: Page): Promise<Drawn> {
  return page.evaluate(DRAWN) as Promise<Drawn>;
}

/** The rendered text of the first element matching `selector`. */
export function textOf(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (el) => (el as unknown as { innerText: string }).innerText);
}
