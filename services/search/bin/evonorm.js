#!/usr/bin/env node
// Launcher for the built CLI, so npm can link `evonorm` before the TypeScript is compiled
// (`npm ci` builds everything afterwards through the root `prepare` script).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('evonorm is not built yet: run `npm run build` (`npm ci` does it through `prepare`)');
  process.exit(1);
}
await import(cli.href);
