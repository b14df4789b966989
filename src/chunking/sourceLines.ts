import { CHARS_PER_TOKEN } from './tokens.js';

/**
 * A file split on '\n' with O(1) questions about line ranges (1-based, inclusive), so
 * chunkers can try many candidate ranges without re-joining strings.
 */
export interface SourceLines {
  readonly lines: readonly string[];
  readonly count: number;
  isBlank(line: number): boolean;
  /** Same as estimateTokens(text(start, end)). */
  tokens(start: number, end: number): number;
  text(start: number, end: number): string;
}

export function sourceLines(text: string): SourceLines {
  const lines = text.split('\n');
  // prefix[i] = total characters of lines 1..i
  const prefix = new Array<number>(lines.length + 1);
  prefix[0] = 0;
  for (let i = 0; i < lines.length; i++) prefix[i + 1] = prefix[i] + lines[i].length;
  const blank = lines.map((l) => l.trim() === '');
  return {
    lines,
    count: lines.length,
    isBlank: (line) => blank[line - 1] ?? true,
    tokens: (start, end) => (end < start ? 0 : Math.ceil((prefix[end] - prefix[start - 1] + (end - start)) / CHARS_PER_TOKEN)),
    text: (start, end) => lines.slice(start - 1, end).join('\n'),
  };
}

/** Shrink [start, end] past blank lines at both edges; undefined when nothing but blanks is left. */
export function trimBlank(src: SourceLines, start: number, end: number): { start: number; end: number } | undefined {
  while (start <= end && src.isBlank(start)) start++;
  while (end >= start && src.isBlank(end)) end--;
  return start <= end ? { start, end } : undefined;
}
