import type { Chunk } from '../contracts/chunk.js';

/**
 * Blank lines between the parts: a plain-text boundary any tokenizer handles
 * (a literal "[SEP]" would become a BERT special token mid-sequence, which
 * SPLADE never saw in training).
 */
export const SPLADE_PART_SEPARATOR = '\n\n';

/**
 * The text SPLADE expands for a chunk (seed 003 §4.2): the chunk text, then
 * its facets as JSON (path, language, symbols — so a query for a file or
 * symbol name reaches the chunk), then any table lines. The chunk text comes
 * first so truncation at the model's max length cuts facets, not code.
 */
export function spladeDocumentText(
  chunk: Pick<Chunk, 'text' | 'path' | 'language' | 'symbols'>,
  tableLines: readonly string[] = [],
): string {
  const facets = JSON.stringify({ path: chunk.path, language: chunk.language, symbols: chunk.symbols });
  return [chunk.text, facets, tableLines.join('\n')].filter((part) => part.trim() !== '').join(SPLADE_PART_SEPARATOR);
}
