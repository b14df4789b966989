import { z } from 'zod';
import { int } from './parsers.js';

/** How files become chunks, and how many chunks make one staged batch (one encode.* / sink.batch job). */
export const chunkingSection = z
  .object({
    CHUNK_MAX_TOKENS: int(400, 16),
    CHUNK_WINDOW_LINES: int(60, 2),
    /** must be smaller than CHUNK_WINDOW_LINES (rules.ts) */
    CHUNK_OVERLAP_LINES: int(10, 0),
    BATCH_SIZE: int(256, 1, 100_000),
  })
  .transform((e) => ({
    chunking: { maxTokens: e.CHUNK_MAX_TOKENS, windowLines: e.CHUNK_WINDOW_LINES, overlapLines: e.CHUNK_OVERLAP_LINES },
    batchSize: e.BATCH_SIZE,
  }));
