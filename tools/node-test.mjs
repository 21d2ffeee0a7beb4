// Runs one project's compiled tests with node:test: the spec reporter on stdout and a count
// written to tmp/test-results/<project>.json for tools/run-tests.mjs to sum.
// Usage: node tools/node-test.mjs <project> <dir-with-compiled-tests> [more node --test flags]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [project, dir, ...flags] = process.argv.slice(2);
if (!project || !dir) {
  console.error('usage: node tools/node-test.mjs <project> <test-dir> [flags]');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const files = [];
const walk = (d) => {
  for (const name of readdirSync(d).sort()) {
    const path = join(d, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.js')) files.push(path);
  }
};
walk(resolve(root, dir));
if (files.length === 0) {
  console.error(`no *.test.js files under ${dir}; was the project built?`);
  process.exit(1);
}
const results = join(root, 'tmp', 'test-results');
mkdirSync(results, { recursive: true });
// One result file per project: a second writer would silently replace the first one's counts.
if (existsSync(join(results, `${project}.json`))) {
  console.error(`tmp/test-results/${project}.json already exists: is "${project}" the name of two projects' test targets?`);
  process.exit(1);
}
const reporter = pathToFileURL(join(root, 'tools', 'count-reporter.mjs')).href;
const run = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`,
    `--test-reporter-destination=${join(results, `${project}.json`)}`,
    ...flags,
    ...files,
  ],
  { stdio: 'inherit', cwd: root },
);
process.exit(run.status ?? 1);
