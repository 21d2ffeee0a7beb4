/**
 * The page as one self-contained HTML string: the bundled script and styles (KaTeX fonts inlined)
 * from dist/web, built by web/build.mjs, and for a report the data inline. A Content-Security-Policy
 * forbids every fetch but the dashboard's own /api, so the page provably needs no network.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReportData } from './model.js';

const WEB = fileURLToPath(new URL('../../web/', import.meta.url));

export class MissingBundleError extends Error {
  constructor(path: string) {
    super(`the page bundle ${path} is missing: build the search project first (npx nx run search:build)`);
    this.name = 'MissingBundleError';
  }
}

let cached: { js: string; css: string } | undefined;

function assets(): { js: string; css: string } {
  if (cached) return cached;
  const js = `${WEB}app.js`;
  const css = `${WEB}app.css`;
  for (const path of [js, css]) if (!existsSync(path)) throw new MissingBundleError(path);
  cached = { js: readFileSync(js, 'utf8'), css: readFileSync(css, 'utf8') };
  return cached;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
/** JSON that cannot close its <script> element. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** `data` given: a static report; omitted: the live dashboard's page, which loads /api/state. */
export function pageHtml(title: string, data?: ReportData): string {
  const { js, css } = assets();
  const connect = data ? "'none'" : "'self'";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; font-src data:; img-src data:; connect-src ${connect}">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>
<body${data ? '' : ' data-live'}>
<div id="app"><p>Loading…</p></div>
${data ? `<script id="evonorm-data" type="application/json">${scriptJson(data)}</script>\n` : ''}<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
</body>
</html>
`;
}
