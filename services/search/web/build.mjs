// Bundles the report/dashboard page at build time: web/main.ts and its libraries (Observable Plot,
// KaTeX, dagre) into dist/web/app.js, and KaTeX's CSS with its woff2 fonts inlined as base64 plus
// web/style.css into dist/web/app.css. The report command inlines both; nothing is fetched at view time.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const here = import.meta.dirname;
const out = join(here, '..', 'dist', 'web');
const require = createRequire(import.meta.url);
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(here, 'main.ts')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2022',
  platform: 'browser',
  legalComments: 'none',
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
});

const katexCss = require.resolve('katex/dist/katex.min.css');
const fonts = join(dirname(katexCss), 'fonts');
// Each @font-face lists woff2, woff and ttf; keep the woff2 alone, as a data: URL.
const inlined = readFileSync(katexCss, 'utf8').replace(/src:url\(fonts\/([\w-]+)\.woff2\) format\("woff2"\)[^;}]*/g, (_, font) => {
  const data = readFileSync(join(fonts, `${font}.woff2`)).toString('base64');
  return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
});
if (/url\(fonts\//.test(inlined)) throw new Error('a KaTeX font was left as a file reference; the report would need the network or files beside it');
writeFileSync(join(out, 'app.css'), `${inlined}\n${readFileSync(join(here, 'style.css'), 'utf8')}`);
console.log(`web bundle: app.js ${(readFileSync(join(out, 'app.js')).length / 1024).toFixed(0)} KiB, app.css ${(readFileSync(join(out, 'app.css')).length / 1024).toFixed(0)} KiB`);
