import { describe, expect, it } from 'vitest';
import { definitionGroups } from '../../src/catalog/definitionGroups.js';
import type { ChunkRow } from '../../src/catalog/chunkCatalog.js';
import { bestMatchingLine, mergeDefinition } from '../../src/retrieval/definitionHit.js';

const row = (startLine: number, content: string, symbols: string[], path = 'src/a.ts'): ChunkRow => ({
  chunkId: `${path}:${startLine}`,
  path,
  startLine,
  endLine: startLine + content.split('\n').length - 1,
  language: 'typescript',
  symbols,
  doc: '',
  role: 'source',
  content,
});

describe('definitionGroups', () => {
  it('joins neighbours of one file that share a symbol, and nothing else', () => {
    const g = definitionGroups([
      row(1, 'a\nb', ['debounce']), // its JSDoc
      row(3, 'c\nd', ['debounce']), // its body
      row(5, 'e', ['throttle']),
      row(1, 'f', ['throttle'], 'src/b.ts'), // same name, other file
      row(2, 'g', []),
      row(3, 'h', []),
    ]);
    expect(Array.from(g.groupOf)).toEqual([0, 0, 2, 3, 4, 5]);
    expect([g.startLine[0], g.endLine[0]]).toEqual([1, 4]);
  });
});

describe('mergeDefinition', () => {
  it('spans all chunks, counting overlapping window lines once', () => {
    const a = row(10, 'function f() {\n  one();\n  two();', ['f']);
    const b = row(12, '  two();\n  three();\n}', ['f']);
    const merged = mergeDefinition(b, [a, b]);
    expect([merged.startLine, merged.endLine]).toEqual([10, 14]);
    expect(merged.content).toBe('function f() {\n  one();\n  two();\n  three();\n}');
    expect(merged.chunkId).toBe(b.chunkId);
  });
});

describe('bestMatchingLine', () => {
  const r = row(20, '// helpers\nexport function pause(queue) {\n  queue.paused = true; // stop taking jobs\n}', ['pause']);

  it('picks the line with the most query terms and names the definition holding it', () => {
    expect(bestMatchingLine(r, 'stop taking new jobs')).toEqual({ line: 22, text: 'queue.paused = true; // stop taking jobs', symbol: 'pause' });
  });

  it('prefers the definition line on a tie, and falls back to it when nothing matches', () => {
    expect(bestMatchingLine(r, 'queue').line).toBe(21);
    expect(bestMatchingLine(r, 'zzz unknown').line).toBe(21);
  });
});
