import { describe, expect, it } from 'vitest';
import { lineWindows } from '../../src/chunking/lineWindows.js';
import { estimateTokens } from '../../src/chunking/tokens.js';

const numbered = (n: number, width = 10) => Array.from({ length: n }, (_, i) => `line ${i + 1}`.padEnd(width, '.')).join('\n');
const ranges = (ws: { startLine: number; endLine: number }[]) => ws.map((w) => [w.startLine, w.endLine]);
const sliceLines = (text: string, s: number, e: number) => text.split('\n').slice(s - 1, e).join('\n');

describe('lineWindows', () => {
  it('steps by window minus overlap, 1-based and inclusive', () => {
    expect(ranges(lineWindows(numbered(100), { windowLines: 20, overlapLines: 5 }))).toEqual([
      [1, 20],
      [16, 35],
      [31, 50],
      [46, 65],
      [61, 80],
      [76, 95],
      [91, 100],
    ]);
  });

  it('stretches the last window instead of emitting a near-copy of it', () => {
    // 62 lines, window 60: a second window would repeat 58 lines to add 2.
    expect(ranges(lineWindows(numbered(62), { windowLines: 60, overlapLines: 10 }))).toEqual([[1, 62]]);
    // 75 lines: 15 new lines is a real window.
    expect(ranges(lineWindows(numbered(75), { windowLines: 60, overlapLines: 10 }))).toEqual([
      [1, 60],
      [51, 75],
    ]);
  });

  it('never starts or ends on a blank line and never emits a blank window', () => {
    const text = ['', '  ', 'a', 'b', '', '', '', '', '', '', '', '', 'c', '', '\t'].join('\n');
    const ws = lineWindows(text, { windowLines: 4, overlapLines: 1 });
    for (const w of ws) {
      expect(sliceLines(text, w.startLine, w.startLine).trim()).not.toBe('');
      expect(sliceLines(text, w.endLine, w.endLine).trim()).not.toBe('');
    }
    expect(ranges(ws)).toEqual([
      [3, 4],
      [13, 13],
    ]);
    expect(lineWindows('\n  \n\t\n', { windowLines: 4, overlapLines: 1 })).toEqual([]);
    expect(lineWindows('', { windowLines: 4, overlapLines: 1 })).toEqual([]);
  });

  it('shrinks windows to the token budget and still covers every line', () => {
    const text = numbered(300, 40); // ~10 tokens a line
    const ws = lineWindows(text, { windowLines: 60, overlapLines: 10, maxTokens: 100 });
    for (const w of ws) expect(estimateTokens(sliceLines(text, w.startLine, w.endLine))).toBeLessThanOrEqual(100);
    const covered = new Set(ws.flatMap((w) => Array.from({ length: w.endLine - w.startLine + 1 }, (_, i) => w.startLine + i)));
    expect(covered.size).toBe(300);
    // Overlap shrinks with the window: ~10 lines per window, so ~1-2 lines repeat, not 10.
    expect(ws[1].startLine).toBeGreaterThan(ws[0].endLine - 3);
  });

  it('gives a line longer than the budget a window of its own, without repeating it', () => {
    const text = ['short', 'x'.repeat(2000), 'after'].join('\n');
    expect(ranges(lineWindows(text, { windowLines: 10, overlapLines: 3, maxTokens: 50 }))).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('can window a sub-range of a file', () => {
    expect(ranges(lineWindows(numbered(100), { windowLines: 10, overlapLines: 0 }, 41, 60))).toEqual([
      [41, 50],
      [51, 60],
    ]);
  });
});
