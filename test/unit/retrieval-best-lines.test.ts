import { describe, expect, it } from 'vitest';
import { bestLines } from '../../src/retrieval/bestLines.js';

const chunk = [
  "'use strict';",
  "import { readFile } from 'node:fs/promises';",
  '',
  'export async function loadConfig(path) {',
  '  const text = await readFile(path, "utf8");',
  '  return parseConfig(text);',
  '}',
  '',
  'function parseConfig(text) {',
  '  const lines = text.split("\\n");',
  '  return Object.fromEntries(lines.map((l) => l.split("=")));',
  '}',
  '});',
].join('\n');

describe('bestLines', () => {
  it('shows the lines that hold the query terms, not the top of the chunk', () => {
    const w = bestLines(chunk, 'parse config', 3);
    expect(w.lines.join('\n')).toMatch(/parseConfig/);
    expect(w.offset).toBeGreaterThan(2);
    expect(w.lines.join('\n')).not.toContain('use strict');
  });

  it('reports where the window starts, so line numbers can be shown', () => {
    const w = bestLines(chunk, 'parse_config text split', 3);
    expect(chunk.split('\n')[w.offset]).toBe(w.lines[0]);
  });

  it('skips boilerplate when no line matches', () => {
    const w = bestLines(chunk, 'zebra', 3);
    expect(w.lines[0]).toBe('export async function loadConfig(path) {');
  });

  it('returns a short chunk whole', () => {
    expect(bestLines('a\nb', 'a', 12)).toEqual({ offset: 0, lines: ['a', 'b'] });
  });
});
