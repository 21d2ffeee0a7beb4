// The repository's test command: every project's `test` target through nx, then one closing line
// `N passed, N failed` summed over all projects. Exits non-zero if anything failed or nothing ran.
// EVONORM_TEST_RUN names this run, so tools/node-test.mjs can tell two projects that share a name
// (a second result file in the same run) from a file an earlier run left behind.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const results = join(root, 'tmp', 'test-results');
rmSync(results, { recursive: true, force: true });
const nx = spawnSync(join(root, 'node_modules', '.bin', 'nx'), ['run-many', '-t', 'test', '--parallel=1', '--outputStyle=stream', ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
  env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', ...process.env, EVONORM_TEST_RUN: `${process.pid}-${Date.now()}` },
});
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
const projects = existsSync(results) ? readdirSync(results).filter((f) => f.endsWith('.json')) : [];
for (const file of projects) {
  const r = JSON.parse(readFileSync(join(results, file), 'utf8'));
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  failures.push(...r.failures);
}
if (failures.length > 0) console.log(`\nfailed tests:\n  ${failures.join('\n  ')}`);
if (nx.status !== 0 && failed === 0) {
  console.log(`nx exited with ${nx.status} before all tests could run (build or setup failure)`);
  failed += 1;
}
console.log(`\n${projects.length} projects tested`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
