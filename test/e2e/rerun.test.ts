/**
 * The README's cheap commands work when run twice in a row and after an interrupted run: `top`,
 * `top --json`, `export` (a zoo layer and `--from` a search), `search --resume` of a finished
 * search, a search killed mid-run and then resumed twice, a run folder given to a second search
 * (refused with the resume hint, folder untouched), and one project's tests (tools/node-test.mjs,
 * what `npx nx run <project>:test` runs) twice, after a killed run, while two projects sharing a
 * name in one `npm test` are still caught.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TINY_FLAGS, cli, cliUntil, storedHistory } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'evonorm-rerun-'));
const twice = (...args: string[]): [ReturnType<typeof cli>, ReturnType<typeof cli>] => [cli(...args), cli(...args)];

describe('commands run twice in a row', () => {
  const dir = join(root, 'finished');

  it('a finished search resumes to the same history, twice', () => {
    const first = cli('search', '--dir', dir, ...TINY_FLAGS, '--replicas', '1', '--seed', '4', '--candidates', '5', '--json');
    assert.equal(first.code, 0, first.stderr);
    const history = storedHistory(join(dir, 'search.sqlite')).map((c) => c.id);
    assert.equal(history.length, 5);
    for (const again of twice('search', '--resume', dir, '--json')) {
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(
        storedHistory(join(dir, 'search.sqlite')).map((c) => c.id),
        history,
      );
    }
  });

  it('a run folder given to a new search is refused with the resume hint, and left as it was', () => {
    const before = readFileSync(join(dir, 'search.json'), 'utf8');
    for (const again of twice('search', '--dir', dir, ...TINY_FLAGS, '--candidates', '5')) {
      assert.equal(again.code, 2);
      assert.match(again.stderr, /already holds a search; continue it with: evonorm search --resume/);
    }
    assert.equal(readFileSync(join(dir, 'search.json'), 'utf8'), before);
  });

  it('top and top --json give the same answer twice', () => {
    for (const args of [
      ['top', dir, '-n', '3'],
      ['top', dir, '--json'],
    ]) {
      const [a, b] = twice(...args);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(b.stdout, a.stdout);
    }
  });

  it('export writes the same files twice (a zoo layer, and --from a search)', () => {
    const out = join(root, 's0.onnx');
    for (const r of twice('export', '--layer', 'evonorm-s0', '--out', out)) assert.equal(r.code, 0, r.stderr);
    const [a, b] = twice('export', '--from', dir, '--top', '2');
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, a.stdout);
    assert.ok(readdirSync(join(dir, 'export')).some((f) => f.endsWith('.onnx')));
  });

  it('a search killed mid-run resumes, and resumes again', async () => {
    const killed = join(root, 'killed');
    const running = await cliUntil(['search', '--dir', killed, ...TINY_FLAGS, '--replicas', '1', '--seed', '4', '--candidates', '6', '--json'], /"type":"candidate"/);
    await running.kill('SIGKILL');
    for (const again of twice('search', '--resume', killed, '--json')) {
      assert.equal(again.code, 0, again.stderr);
      assert.equal(storedHistory(join(killed, 'search.sqlite')).length, 6, again.stdout);
    }
  });
});

describe("one project's tests run twice in a row", () => {
  const tool = fileURLToPath(new URL('../../../tools/node-test.mjs', import.meta.url));
  const fixture = join(root, 'fixture');
  const results = join(root, 'results');
  mkdirSync(fixture, { recursive: true });
  writeFileSync(join(fixture, 'one.test.js'), "import { it } from 'node:test';\nit('passes', () => {});\n");
  const project = 'rerun-fixture';
  // A one-project run stands alone: it must not inherit the run id of the `npm test` running this file.
  const alone = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'EVONORM_TEST_RUN')), EVONORM_TEST_RESULTS: results };
  const runTool = (env: Record<string, string> = {}) => spawnSync(process.execPath, [tool, project, fixture], { encoding: 'utf8', env: { ...alone, ...env }, timeout: 60_000 });
  const counted = (): { passed: number } => JSON.parse(readFileSync(join(results, `${project}.json`), 'utf8')) as { passed: number };

  it('counts the tests each time, replacing the earlier result', () => {
    for (let i = 0; i < 2; i++) {
      const r = runTool();
      assert.equal(r.status, 0, r.stderr);
      assert.equal(counted().passed, 1);
    }
  });

  it('runs after an interrupted run (its runner killed, its result file cut short)', async () => {
    writeFileSync(join(fixture, 'slow.test.js'), "import { it } from 'node:test';\nit('waits', () => new Promise((r) => setTimeout(r, 30_000)));\n");
    const child = spawn(process.execPath, [tool, project, fixture], { env: alone, stdio: 'ignore', detached: true });
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(-child.pid!, 'SIGINT'); // Ctrl-C reaches the whole process group
    await new Promise((r) => child.on('exit', r));
    writeFileSync(join(results, `${project}.json`), '{"passed": 3, "fail'); // as a run killed mid-write leaves it
    writeFileSync(join(fixture, 'slow.test.js'), "import { it } from 'node:test';\nit('is quick now', () => {});\n");
    const r = runTool();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(counted().passed, 2);
    assert.ok(statSync(join(results, `${project}.json`)).size > 0);
  });

  it('still refuses a second result file for the same name within one npm test', () => {
    const run = { EVONORM_TEST_RUN: `same-${process.pid}` };
    assert.equal(runTool(run).status, 0);
    const second = runTool(run);
    assert.equal(second.status, 1);
    assert.match(second.stderr, /already written by this test run: is "rerun-fixture" the name of two projects' test targets\?/);
  });
});
