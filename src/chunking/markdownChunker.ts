import { merge, type Span } from './astChunker.js';
import { lineWindows, type WindowOptions } from './lineWindows.js';
import type { SourceLines } from './sourceLines.js';

/**
 * Markdown by heading section: each section (heading to the next heading) is a piece named by
 * its heading path (`Guide > Workers > Pausing`); small sections merge, big ones become windows.
 * A line scan, not a Markdown parser: ATX (`## x`) and setext (`x` over `===`) headings outside
 * fenced code blocks are all a section boundary needs.
 */
export function markdownSpans(src: SourceLines, opts: WindowOptions & { maxTokens: number }): Span[] {
  const headings: { line: number; level: number; title: string }[] = [];
  let fence: string | undefined;
  for (let i = 1; i <= src.count; i++) {
    const line = src.lines[i - 1];
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (!fence) fence = f[1][0];
      else if (f[1][0] === fence) fence = undefined;
      continue;
    }
    if (fence) continue;
    const atx = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (atx) {
      headings.push({ line: i, level: atx[1].length, title: atx[2] });
      continue;
    }
    const next = src.lines[i] ?? '';
    if (line.trim() && !/^\s*[-*+>|]/.test(line) && /^\s{0,3}(=+|-+)\s*$/.test(next) && (i === 1 || src.isBlank(i - 1))) {
      headings.push({ line: i, level: next.trim()[0] === '=' ? 1 : 2, title: line.trim() });
      i++;
    }
  }

  const pieces: (Span & { fixed: boolean })[] = [];
  const path: { level: number; title: string }[] = [];
  const starts = [1, ...headings.map((h) => h.line)].filter((l, i, a) => a.indexOf(l) === i);
  for (let k = 0; k < starts.length; k++) {
    const start = starts[k];
    const end = (starts[k + 1] ?? src.count + 1) - 1;
    const h = headings.find((x) => x.line === start);
    if (h) {
      while (path.length && path.at(-1)!.level >= h.level) path.pop();
      path.push({ level: h.level, title: h.title });
    }
    const symbols = h ? [path.map((p) => p.title).join(' > ')] : [];
    if (src.tokens(start, end) <= opts.maxTokens) pieces.push({ start, end, symbols, docs: [], fixed: false });
    else for (const w of lineWindows(src, opts, start, end)) pieces.push({ start: w.startLine, end: w.endLine, symbols, docs: [], fixed: true });
  }
  return merge(src, pieces, opts.maxTokens);
}
