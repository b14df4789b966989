import type { ChunkRow } from '../catalog/chunkCatalog.js';
import { definitionLines } from '../chunking/signature.js';
import { tokenize } from '../text/codeTokenizer.js';

/**
 * One definition from the chunks it was cut into (line order): their lines
 * merged by line number (window overlaps count once), the symbols of all.
 * `best` is the chunk that ranked; its doc and role stand for the whole.
 */
export function mergeDefinition(best: ChunkRow, members: ChunkRow[]): ChunkRow {
  if (members.length <= 1) return best;
  const startLine = Math.min(...members.map((m) => m.startLine));
  const endLine = Math.max(...members.map((m) => m.endLine));
  const lines: string[] = new Array(endLine - startLine + 1).fill('');
  for (const m of members) m.content.split('\n').forEach((l, i) => (lines[m.startLine - startLine + i] = l));
  return {
    ...best,
    startLine,
    endLine,
    symbols: [...new Set(members.flatMap((m) => m.symbols))],
    content: lines.join('\n'),
  };
}

export interface BestLine {
  /** 1-based line number in the file */
  line: number;
  text: string;
  /** the symbol whose definition holds the line (the last one defined at or above it), null when none */
  symbol: string | null;
}

/**
 * The line that matches the query best: most distinct query terms, a
 * definition line winning a tie (it says what the hit is), then the earliest.
 * With no term on any line, the first definition line, else the first line.
 */
export function bestMatchingLine(row: Pick<ChunkRow, 'content' | 'startLine' | 'symbols'>, query: string): BestLine {
  const terms = new Set(tokenize(query));
  const lines = row.content.split('\n');
  const defLines = definitionLines(row.content, row.symbols);
  const defs = new Set(defLines.map((d) => d.index));
  let best = -1;
  let bestScore = 0;
  lines.forEach((l, i) => {
    const hits = new Set(tokenize(l).filter((t) => terms.has(t))).size;
    const score = hits === 0 ? 0 : hits + (defs.has(i) ? 0.5 : 0);
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  });
  if (best < 0) best = defs.size ? Math.min(...defs) : 0;
  const owner = defLines.filter((d) => d.index <= best).at(-1) ?? defLines[0];
  return { line: row.startLine + best, text: lines[best]?.trim() ?? '', symbol: owner?.symbol ?? row.symbols[0] ?? null };
}
