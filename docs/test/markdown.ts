/**
 * Reads the repository's Markdown (README.md and docs/**.md) for the docs tests: its relative links,
 * its headings' anchors as GitHub makes them, and the shell commands it shows, in code blocks and
 * inline code. Pure text processing: nothing here runs a command.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** README.md and every Markdown page under docs/, as paths relative to the repository root. */
export function markdownFiles(): string[] {
  const files = ['README.md'];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (name === 'dist' || name === 'node_modules') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) files.push(relative(ROOT, path));
    }
  };
  walk(join(ROOT, 'docs'));
  return files;
}

export function read(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8');
}

export interface Line {
  readonly file: string;
  /** 1-based line number in the file. */
  readonly line: number;
  readonly text: string;
}

/** The file's lines, split into those inside fenced code blocks and the prose around them. */
export function split(file: string): { code: Line[]; prose: Line[] } {
  const code: Line[] = [];
  const prose: Line[] = [];
  let fenced = false;
  read(file)
    .split('\n')
    .forEach((text, i) => {
      if (/^\s*```/.test(text)) {
        fenced = !fenced;
        return;
      }
      (fenced ? code : prose).push({ file, line: i + 1, text });
    });
  return { code, prose };
}

/** Prose with inline code spans blanked out (links inside `code` are not links). */
function withoutCodeSpans(text: string): string {
  return text.replace(/`[^`]*`/g, (span) => ' '.repeat(span.length));
}

export interface Link extends Line {
  readonly target: string;
}

/** Every Markdown link and image target in the prose: [text](target) and ![alt](target). */
export function links(file: string): Link[] {
  const out: Link[] = [];
  for (const line of split(file).prose) {
    for (const m of withoutCodeSpans(line.text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ ...line, target: m[1]! });
  }
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a file's headings, numbered -1, -2... when a heading repeats, as GitHub does. */
export function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { text } of split(file).prose) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/**
 * The commands the docs show: each line of a fenced code block (lines ending in `\` joined to the
 * next, `# comments` dropped) and each inline code span, trimmed. Which of them are evonorm or nx
 * commands is the caller's business.
 */
export function commands(file: string): Line[] {
  const out: Line[] = [];
  const { code, prose } = split(file);
  let pending: Line | undefined;
  for (const line of code) {
    const text = pending ? `${pending.text} ${line.text.trim()}` : line.text;
    const start = pending ?? line;
    if (/\\\s*$/.test(text)) {
      pending = { ...start, text: text.replace(/\\\s*$/, '') };
      continue;
    }
    pending = undefined;
    out.push({ ...start, text: text.replace(/(^|\s)#\s.*$/, '').trim() });
  }
  for (const line of prose) {
    for (const m of line.text.matchAll(/`([^`]+)`/g)) out.push({ ...line, text: m[1]!.trim() });
  }
  return out;
}

/** The long flags written in a command (`--name`, `--name=value`, `[--name ...]`), without values. */
export function longFlags(command: string): string[] {
  return [...command.matchAll(/(?:^|[\s[(|])(--[a-z][a-z0-9-]*)/g)].map((m) => m[1]!);
}
