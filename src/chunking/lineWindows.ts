import { sourceLines, trimBlank, type SourceLines } from './sourceLines.js';

export interface LineRange {
  /** 1-based, inclusive. */
  startLine: number;
  /** 1-based, inclusive. */
  endLine: number;
}

export interface WindowOptions {
  windowLines: number;
  overlapLines: number;
  /** Also shrink windows so each stays within this token estimate (a single long line may still exceed it). */
  maxTokens?: number;
}

/** Largest end in [start, limit] whose range fits the budget; at least `start`. */
function fitEnd(src: SourceLines, start: number, limit: number, maxTokens: number | undefined): number {
  if (maxTokens === undefined || src.tokens(start, limit) <= maxTokens) return limit;
  let lo = start;
  let hi = limit;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (src.tokens(start, mid) <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Overlapping windows over lines [from, to] of a file (default: all of it). Windows never
 * start or end on a blank line and are never blank; when the last step would only add a few
 * new lines, the previous window is stretched instead of emitting a near-copy of it.
 */
export function lineWindows(input: string | SourceLines, opts: WindowOptions, from = 1, to?: number): LineRange[] {
  const src = typeof input === 'string' ? sourceLines(input) : input;
  const range = trimBlank(src, Math.max(1, from), Math.min(src.count, to ?? src.count));
  if (!range) return [];
  const last = range.end;
  const windowLines = Math.max(1, opts.windowLines);
  const overlapLines = Math.max(0, Math.min(opts.overlapLines, windowLines - 1));
  const step = windowLines - overlapLines;
  const minNewLines = Math.max(1, Math.ceil(step / 4));

  const out: LineRange[] = [];
  let start = range.start;
  for (;;) {
    let end = fitEnd(src, start, Math.min(last, start + windowLines - 1), opts.maxTokens);
    const remaining = last - end;
    if (remaining > 0 && remaining < minNewLines && fitEnd(src, start, last, opts.maxTokens) === last) end = last;
    const trimmed = trimBlank(src, start, end)!; // start is never blank
    out.push({ startLine: trimmed.start, endLine: trimmed.end });
    if (end >= last) return out;
    // Overlap shrinks with windows the token budget cut short, so they do not mostly repeat.
    const len = end - start + 1;
    const overlap = Math.min(overlapLines, Math.floor((len * overlapLines) / windowLines), len - 1);
    let next = Math.max(start + 1, end + 1 - overlap);
    // An overlapping start that cannot reach past `end` (a huge next line) would only repeat this window.
    if (fitEnd(src, next, Math.min(last, next + windowLines - 1), opts.maxTokens) <= end) next = end + 1;
    while (next <= last && src.isBlank(next)) next++;
    if (next > last) return out;
    start = next;
  }
}
