/**
 * The README's two quick-start lines work where there is no sudo (most containers and CI runners
 * run as root without it) and for a user with sudo. Their setup parts (what runs before
 * `npm ci`) are run with a PATH that has no sudo and a stand-in apt-get that only records its
 * calls, so nothing is installed: as root they call apt-get directly, as a user through sudo, and
 * a user without sudo is told what to run. `npm ci`, `npm start` and `npm test` themselves are not
 * run here (CI runs the test line for real).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { ROOT, read } from './markdown.js';

const scratch = mkdtempSync(join(tmpdir(), 'evonorm-quickstart-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The README's quick-start code block: its lines that end in `npm start` and `npm test`. */
function quickStart(): { start: string; test: string } {
  const section =
    read('README.md')
      .split(/^## Quick start\s*$/m)[1]
      ?.split(/^## /m)[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const lines = block
    .split('\n')
    .map((line) => line.replace(/\s+#\s.*$/, '').trim())
    .filter(Boolean);
  const start = lines.find((l) => /&& npm start$/.test(l));
  const test = lines.find((l) => /&& npm test$/.test(l));
  assert.ok(start && test, `the README's quick start shows a line ending in "npm start" and one in "npm test":\n${block}`);
  return { start, test };
}

/** What runs before `npm ci` on a quick-start line. */
function setupPart(line: string): string {
  const i = line.indexOf(' && npm ci');
  assert.ok(i > 0, `"${line}" sets up, then runs npm ci`);
  return line.slice(0, i);
}

interface Machine {
  /** The user's uid as `id -u` reports it (0: root). */
  readonly uid: number;
  readonly sudo: boolean;
  /** Commands that are missing, so their packages count as missing. */
  readonly hide?: readonly string[];
}

let machines = 0;

/**
 * A PATH of links to every command on this one, without sudo and `hide`, plus stand-ins: apt-get
 * records its calls and the uid it runs as; id reports the machine's uid; sudo (when the machine has
 * it) runs its command as uid 0.
 */
function pathFor(machine: Machine): { path: string; log: string } {
  const bin = join(scratch, `bin${machines++}`);
  mkdirSync(bin);
  const log = join(bin, 'calls.log');
  writeFileSync(log, '');
  const realId = spawnSync('sh', ['-c', 'command -v id'], { encoding: 'utf8' }).stdout.trim();
  const stubs: Record<string, string> = {
    'apt-get': `echo "uid=$(id -u) apt-get $*" >> '${log}'`,
    id: `if [ "$1" = "-u" ]; then echo "\${EVONORM_FAKE_UID:-${machine.uid}}"; else exec '${realId}' "$@"; fi`,
  };
  if (machine.sudo) stubs.sudo = `echo "sudo $*" >> '${log}'; EVONORM_FAKE_UID=0 exec "$@"`;
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const skip = new Set(['sudo', ...(machine.hide ?? [])]);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || !existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (skip.has(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return { path: bin, log };
}

function run(command: string, machine: Machine): { status: number | null; stderr: string; calls: string[] } {
  const { path, log } = pathFor(machine);
  const r = spawnSync(join(path, 'bash'), ['-c', command], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: path } });
  return { status: r.status, stderr: r.stderr, calls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

const ROOT_NO_SUDO: Machine = { uid: 0, sudo: false };
const HIDDEN = ['chromium', 'openssl', 'protoc'];

test('the quick-start lines set up without sudo (as root, with no sudo on PATH)', () => {
  const { start, test: tests } = quickStart();
  for (const line of [start, tests]) {
    const setup = setupPart(line);
    assert.doesNotMatch(setup, /\bsudo\b/, 'the quick start works where sudo does not exist');
    const r = run(setup, ROOT_NO_SUDO);
    assert.equal(r.status, 0, `${setup}: ${r.stderr}`);
    // Whatever it had to install (nothing on a machine set up before), it asked apt-get as root, not sudo.
    for (const call of r.calls) assert.match(call, /^uid=0 apt-get /);
  }
});

test('as root without sudo, missing test packages are installed by apt-get directly', () => {
  const r = run(setupPart(quickStart().test), { ...ROOT_NO_SUDO, hide: HIDDEN });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.calls[0], 'uid=0 apt-get update -qq');
  assert.match(r.calls[1] ?? '', /^uid=0 apt-get install -y -qq .*\bprotobuf-compiler\b.*\bchromium openssl$/);
  assert.match(r.stderr, /installing Debian packages for the tests: .*chromium openssl/);
});

test('a user with sudo installs through sudo', () => {
  const r = run(setupPart(quickStart().test), { uid: 1000, sudo: true, hide: HIDDEN });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.calls[0], 'sudo apt-get update -qq');
  assert.match(r.calls[2] ?? '', /^sudo apt-get install -y -qq .*\bchromium openssl$/);
  // apt-get itself ran as root (through sudo), never as the user.
  assert.ok(
    r.calls.filter((c) => c.startsWith('uid=')).every((c) => c.startsWith('uid=0 ')),
    r.calls.join('\n'),
  );
});

test('a user without sudo is told what to run, and nothing is installed', () => {
  const r = run(setupPart(quickStart().test), { uid: 1000, sudo: false, hide: HIDDEN });
  assert.notEqual(r.status, 0);
  assert.deepEqual(r.calls, []);
  assert.match(r.stderr, /needs root to run: apt-get update -qq/);
  assert.match(r.stderr, /as root, or install sudo/);
});

test("the main job's dataset is installed the same way: apt-get as root, sudo for a user", () => {
  const install = 'source tools/lib/apt.sh && apt_install "for the main job" dataset-fashion-mnist';
  assert.match(readFileSync(join(ROOT, 'tools', 'start-deps.sh'), 'utf8'), /apt_install "for the main job" dataset-fashion-mnist/);
  const asRoot = run(install, ROOT_NO_SUDO);
  assert.equal(asRoot.status, 0, asRoot.stderr);
  assert.deepEqual(asRoot.calls, ['uid=0 apt-get update -qq', 'uid=0 apt-get install -y -qq dataset-fashion-mnist']);
  const user = run(install, { uid: 1000, sudo: true });
  assert.deepEqual(user.calls, ['sudo apt-get update -qq', 'uid=0 apt-get update -qq', 'sudo apt-get install -y -qq dataset-fashion-mnist', 'uid=0 apt-get install -y -qq dataset-fashion-mnist']);
  const stuck = run(install, { uid: 1000, sudo: false });
  assert.notEqual(stuck.status, 0);
  assert.deepEqual(stuck.calls, []);
});
