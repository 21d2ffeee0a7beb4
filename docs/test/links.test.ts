/**
 * Every relative link and image in README.md and docs/ points at a file that exists, and every
 * #anchor at a heading of its page; the README stays a short front page (at most 250 lines).
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { ROOT, anchors, links, markdownFiles, read } from './markdown.js';

const README_MAX_LINES = 250;

test('README.md is a front page of at most 250 lines, and docs/ holds pages', () => {
  const lines = read('README.md').trimEnd().split('\n').length;
  assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; move detail to a page under docs/ (at most ${README_MAX_LINES})`);
  assert.ok(markdownFiles().length > 3, 'docs/ has pages');
});

test('every relative link and image target exists, and every anchor is a heading of its page', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const file of markdownFiles()) {
    for (const link of links(file)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // https:, mailto:: not ours to check offline
      checked += 1;
      const [path, anchor] = link.target.split('#', 2) as [string, string | undefined];
      const where = `${link.file}:${link.line}: ${link.target}`;
      const target = path === '' ? link.file : normalize(join(dirname(link.file), decodeURIComponent(path)));
      if (relative(ROOT, join(ROOT, target)).startsWith('..')) {
        problems.push(`${where} leaves the repository`);
        continue;
      }
      if (!existsSync(join(ROOT, target))) {
        problems.push(`${where}: no file ${target}`);
        continue;
      }
      if (anchor !== undefined) {
        if (!target.endsWith('.md') || statSync(join(ROOT, target)).isDirectory()) problems.push(`${where}: an anchor into a file that is not a Markdown page`);
        else if (!anchors(target).has(anchor)) problems.push(`${where}: ${target} has no heading #${anchor} (it has ${[...anchors(target)].join(', ')})`);
      }
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(checked > 20, `only ${checked} relative links found: is the parser still reading the pages?`);
});
