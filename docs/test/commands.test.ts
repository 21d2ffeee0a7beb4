/**
 * The commands README.md and docs/ show exist as written: every `evonorm <command>` is a command of
 * the built CLI and every --flag on it is one that `evonorm <command> --help` lists; every flag given
 * to a service (`npx nx serve <service> -- ...`, `node services/<service>/dist/src/main.js ...`) is
 * in that service's --help; every `nx run <project>:<target>` names a real project and target; and
 * every script or file a command runs (`bash tools/...`, `node ...`) is there. So a renamed flag or
 * command fails CI until the docs follow.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, commands, longFlags, markdownFiles, type Line } from './markdown.js';

const EVONORM = join(ROOT, 'services', 'search', 'bin', 'evonorm.js');

function help(script: string, args: string[]): string {
  return execFileSync(process.execPath, [script, ...args, '--help'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The long flags a --help text names anywhere (usage lines and the flag table). */
function flagsIn(text: string): Set<string> {
  return new Set(longFlags(text));
}

/** The commands `evonorm --help` lists under "commands:". */
function evonormCommands(): string[] {
  const text = help(EVONORM, []);
  const block = text.split('commands:\n')[1]?.split('\n\n')[0] ?? '';
  return block
    .split('\n')
    .map((line) => /^\s+([a-z]+)\s/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** nx projects and their targets, from every project.json in the workspace. */
function nxProjects(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*project.json'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const file of files) {
    const project = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { name: string; targets?: Record<string, unknown> };
    out.set(project.name, new Set(Object.keys(project.targets ?? {})));
  }
  return out;
}

/** One shell command of a line: the line split at `&&`, `||`, `;` and `|`. */
function segments(line: Line): Line[] {
  return line.text
    .split(/&&|\|\||;|\s\|\s/)
    .map((text) => ({ ...line, text: text.trim() }))
    .filter((s) => s.text.length > 0);
}

const SERVICES = ['mutation', 'rejection', 'training', 'selection'];

test('every evonorm command, service flag, nx target and script the docs show exists', () => {
  const subcommands = evonormCommands();
  assert.ok(subcommands.includes('search') && subcommands.includes('report'), `evonorm --help lists ${subcommands.join(', ')}`);
  const evonormFlags = new Map(subcommands.map((c) => [c, flagsIn(help(EVONORM, [c]))]));
  // compare passes every search flag on to its searches.
  evonormFlags.set('compare', new Set([...evonormFlags.get('compare')!, ...evonormFlags.get('search')!]));
  const serviceFlags = new Map(SERVICES.map((s) => [s, flagsIn(help(join(ROOT, 'services', s, 'dist', 'src', 'main.js'), []))]));
  serviceFlags.set('search', evonormFlags.get('search')!);
  const projects = nxProjects();

  const problems: string[] = [];
  const counts = { evonorm: 0, flags: 0, services: 0, nx: 0, files: 0 };
  const checkFlags = (where: string, flags: string[], known: Set<string>, what: string): void => {
    for (const flag of flags) {
      counts.flags += 1;
      if (flag !== '--help' && !known.has(flag)) problems.push(`${where}: ${what} has no flag ${flag}`);
    }
  };
  for (const file of markdownFiles()) {
    for (const line of commands(file).flatMap(segments)) {
      const where = `${line.file}:${line.line}: ${line.text}`;
      const cli = /^(?:npx\s+evonorm|evonorm|node\s+services\/search\/bin\/evonorm\.js)\s+([a-z][a-z-]*)(.*)$/.exec(line.text);
      if (cli) {
        counts.evonorm += 1;
        const [, command, rest] = cli as unknown as [string, string, string];
        const known = evonormFlags.get(command);
        if (!known) problems.push(`${where}: evonorm has no command ${command} (it has ${subcommands.join(', ')})`);
        else checkFlags(where, longFlags(rest), known, `evonorm ${command}`);
        continue;
      }
      const serve = /^npx\s+nx\s+serve\s+([\w-]+)(?:\s+--\s+(.*))?$/.exec(line.text);
      const main = /^node\s+services\/(\w+)\/dist\/src\/main\.js(.*)$/.exec(line.text);
      if (serve || main) {
        counts.services += 1;
        const name = (serve ?? main)![1]!;
        const known = serviceFlags.get(name);
        if (serve && !projects.get(name)?.has('serve')) problems.push(`${where}: no nx project ${name} with a serve target`);
        if (!known) problems.push(`${where}: no service ${name}`);
        else checkFlags(where, longFlags((serve ?? main)![2] ?? ''), known, name);
        continue;
      }
      const nxRun = /^npx\s+nx\s+run\s+([\w-]+):([\w-]+)/.exec(line.text);
      if (nxRun) {
        counts.nx += 1;
        const [, project, target] = nxRun as unknown as [string, string, string];
        if (!projects.get(project)?.has(target)) problems.push(`${where}: no nx target ${project}:${target}`);
        continue;
      }
      const runMany = /^npx\s+nx\s+run-many\s+-t\s+([\w-]+)/.exec(line.text);
      if (runMany) {
        counts.nx += 1;
        if (![...projects.values()].some((targets) => targets.has(runMany[1]!))) problems.push(`${where}: no project has a target ${runMany[1]}`);
        continue;
      }
      const script = /^(?:bash|node|sh)\s+((?:tools|deploy|services|libs|test)\/[\w./-]+)/.exec(line.text);
      if (script && !script[1]!.includes('...')) {
        counts.files += 1;
        if (!existsSync(join(ROOT, script[1]!))) problems.push(`${where}: no file ${script[1]}`);
      }
    }
  }
  assert.deepEqual(problems, []);
  // The parser still finds what the pages show.
  assert.ok(counts.evonorm >= 30 && counts.flags >= 60 && counts.services >= 3 && counts.nx >= 5 && counts.files >= 3, JSON.stringify(counts));
});
