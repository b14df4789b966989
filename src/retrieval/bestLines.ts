import { tokenize } from '../text/codeTokenizer.js';

/**
 * The lines of a chunk that best match a query, for previews: a chunk's first
 * lines are often `'use strict'`, imports or a closing `});`, which tell a
 * reader nothing. Each line scores the distinct query terms it holds (the
 * BM25 tokenizer, so `parseConfig` meets `parse_config`); the window of
 * `size` consecutive lines with the highest total wins, earliest on ties.
 * With no query term anywhere, the window starts at the first line that is
 * not blank or boilerplate.
 */

const BOILERPLATE = /^\s*(?:$|['"]use strict['"];?|[})\]]+[;,)]*\s*$|\/\/|#!|import\s|from\s+\S+\s+import\s)/;

export interface LineWindow {
  /** 0-based index of the window's first line in the chunk */
  offset: number;
  lines: string[];
}

export function bestLines(content: string, query: string, size: number): LineWindow {
  const lines = content.split('\n');
  if (lines.length <= size) return { offset: 0, lines };
  const terms = new Set(tokenize(query));
  const scores = lines.map((line) => {
    if (terms.size === 0) return 0;
    let n = 0;
    for (const t of new Set(tokenize(line))) if (terms.has(t)) n++;
    return n;
  });
  let sum = 0;
  for (let i = 0; i < size; i++) sum += scores[i];
  let best = sum;
  let offset = 0;
  for (let i = size; i < lines.length; i++) {
    sum += scores[i] - scores[i - size];
    if (sum > best) {
      best = sum;
      offset = i - size + 1;
    }
  }
  if (best === 0) {
    const first = lines.findIndex((l) => !BOILERPLATE.test(l));
    offset = Math.min(Math.max(first, 0), lines.length - size);
  } else {
    // start the window at its first matching line when the lines above it carry nothing
    while (offset < lines.length - size && scores[offset] === 0 && scores[offset + size] === 0) offset++;
  }
  return { offset, lines: lines.slice(offset, offset + size) };
}
