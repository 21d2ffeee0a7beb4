// Runs one project's compiled tests with node:test: the spec reporter on stdout and a count
// written to tmp/test-results/<project>.json for tools/run-tests.mjs to sum.
// Usage: node tools/node-test.mjs <project> <dir-with-compiled-tests> [more node --test flags]
// A result file left by an earlier or interrupted run is replaced; only a file written during the
// same `npm test` (same EVONORM_TEST_RUN, set by tools/run-tests.mjs) means two projects share a name.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
// EVONORM_TEST_RESULTS moves the folder (the rerun tests use a scratch one).
const results = process.env.EVONORM_TEST_RESULTS ? resolve(process.env.EVONORM_TEST_RESULTS) : join(root, 'tmp', 'test-results');
mkdirSync(results, { recursive: true });
// One result file per project: a second writer in the same run would silently replace the first
// one's counts. A file from another run (or a partial one from an interrupted run) is stale.
const resultFile = join(results, `${project}.json`);
const run = process.env.EVONORM_TEST_RUN;
if (existsSync(resultFile)) {
  let previousRun;
  try {
    previousRun = JSON.parse(readFileSync(resultFile, 'utf8')).run;
  } catch {
    previousRun = undefined; // cut short by an interrupted run
  }
  if (run && previousRun === run) {
    console.error(`${resultFile} was already written by this test run: is "${project}" the name of two projects' test targets?`);
    process.exit(1);
  }
  rmSync(resultFile, { force: true });
}
const reporter = pathToFileURL(join(root, 'tools', 'count-reporter.mjs')).href;
const tests = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${reporter}`, `--test-reporter-destination=${resultFile}`, ...flags, ...files],
  // Without NODE_TEST_CONTEXT: run from inside another node:test run, the runner would report to
  // that parent instead of to the reporters here.
  { stdio: 'inherit', cwd: root, env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_TEST_CONTEXT')) },
);
process.exit(tests.status ?? 1);
