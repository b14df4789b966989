import { createAstChunker, type Span } from './astChunker.js';
import { chunkId } from './chunk.js';
import { docSummary } from './docSummary.js';
import { type Chunk } from '../contracts/chunk.js';
import { hasGrammar } from './grammars.js';
import { lineWindows } from './lineWindows.js';
import { markdownSpans } from './markdownChunker.js';
import { sourceLines } from './sourceLines.js';
import { classifyFile } from '../repo/fileRole.js';

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

/** How a file was cut: by its syntax tree, by Markdown headings, or into plain line windows. */
export type ChunkStrategy = 'ast' | 'markdown' | 'lines';

export interface ChunkedFile {
  chunks: Chunk[];
  strategy: ChunkStrategy;
}

export interface Chunker {
  /** Chunks in line order; each chunk's text is exactly lines startLine..endLine of `text`. */
  chunkFile(path: string, text: string, language: string): Promise<Chunk[]>;
  /** The same, saying which strategy cut the file (a parse failure falls back to 'lines'). */
  chunkFileDetailed(path: string, text: string, language: string): Promise<ChunkedFile>;
}

/** The strategy a language gets when nothing goes wrong. */
export const strategyFor = (language: string): ChunkStrategy => (hasGrammar(language) ? 'ast' : language === 'markdown' ? 'markdown' : 'lines');

/** Syntax-aware chunks for the languages with a grammar, heading sections for Markdown, line windows for the rest. */
export function createChunker(opts: ChunkerOptions): Chunker {
  const ast = createAstChunker(opts);
  const chunkFileDetailed = async (path: string, text: string, language: string): Promise<ChunkedFile> => {
    const src = sourceLines(text);
    let spans: Span[] | undefined;
    let strategy = strategyFor(language);
    try {
      if (hasGrammar(language)) spans = await ast.spans(src, text, language);
      else if (language === 'markdown') spans = markdownSpans(src, opts);
    } catch {
      spans = undefined; // a file the parser cannot handle still gets windows
    }
    if (!spans) {
      strategy = 'lines';
      spans = lineWindows(src, opts).map((w) => ({ start: w.startLine, end: w.endLine, symbols: [], docs: [] }));
    }

    const role = classifyFile(path, text);
    const seen = new Map<string, Chunk>();
    const chunks: Chunk[] = [];
    for (const s of spans) {
      const chunkText = src.text(s.start, s.end);
      const id = chunkId(path, chunkText);
      const first = seen.get(id);
      if (first) {
        // identical text in one file (two classes with the same members): keep the first, naming what both define
        first.symbols = [...new Set([...first.symbols, ...s.symbols])];
        continue;
      }
      chunks.push({ id, path, startLine: s.start, endLine: s.end, language, symbols: s.symbols, doc: s.docs.join('\n\n'), summary: s.docs.map(docSummary).filter(Boolean).join('\n'), role, text: chunkText });
      seen.set(id, chunks.at(-1)!);
    }
    return { chunks, strategy };
  };
  return {
    chunkFileDetailed,
    chunkFile: async (path, text, language) => (await chunkFileDetailed(path, text, language)).chunks,
  };
}
