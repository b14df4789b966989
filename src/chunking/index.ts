import { createAstChunker } from './astChunker.js';
import { chunkId } from './chunk.js';
import { type Chunk } from '../contracts/chunk.js';
import { hasGrammar } from './grammars.js';
import { lineWindows } from './lineWindows.js';
import { sourceLines } from './sourceLines.js';

export type { Chunk } from '../contracts/chunk.js';
export { chunkId } from './chunk.js';
export { estimateTokens } from './tokens.js';
export { lineWindows, type LineRange, type WindowOptions } from './lineWindows.js';

export interface ChunkerOptions {
  /** Token budget per chunk (estimateTokens). */
  maxTokens: number;
  /** Window size for files without a grammar and for declarations over budget. */
  windowLines: number;
  overlapLines: number;
}

export interface Chunker {
  /** Chunks in line order; each chunk's text is exactly lines startLine..endLine of `text`. */
  chunkFile(path: string, text: string, language: string): Chunk[];
}

/** Syntax-aware chunks for TypeScript/TSX/JavaScript/Python, line windows for everything else. */
export function createChunker(opts: ChunkerOptions): Chunker {
  const ast = createAstChunker(opts);
  return {
    chunkFile(path, text, language) {
      const src = sourceLines(text);
      let spans: { start: number; end: number; symbols: string[] }[] | undefined;
      if (hasGrammar(language)) {
        try {
          spans = ast.spans(src, text, language);
        } catch {
          spans = undefined; // a file the parser cannot handle still gets windows
        }
      }
      spans ??= lineWindows(src, opts).map((w) => ({ start: w.startLine, end: w.endLine, symbols: [] }));

      const seen = new Set<string>();
      const chunks: Chunk[] = [];
      for (const s of spans) {
        const chunkText = src.text(s.start, s.end);
        const id = chunkId(path, chunkText);
        if (seen.has(id)) continue; // identical text in one file: keep the first
        seen.add(id);
        chunks.push({ id, path, startLine: s.start, endLine: s.end, language, symbols: s.symbols, text: chunkText });
      }
      return chunks;
    },
  };
}
