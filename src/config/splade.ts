import { z } from 'zod';
import { int, num, optionalText, text } from './parsers.js';
import { optionalWhenUnset } from './shape.js';

/** Sparse SPLADE encoding (seed 003 §4-5); off unless SPLADE_MODEL_DIR is set. */
export const spladeSection = z
  .object({
    SPLADE_MODEL_DIR: optionalText(),
    SPLADE_MODEL_ID: text('naver/splade-v3'),
    SPLADE_TOP_K: int(400, 1, 100_000),
    SPLADE_MIN_WEIGHT: num(0.05, 0),
    SPLADE_MAX_TOKENS: int(512, 8),
    // SPLADE logits are [batch, tokens, vocab]: at 30k terms x 512 tokens one text is ~60 MB, so its batches start smaller than dense ones
    SPLADE_BATCH_SIZE: int(32, 1, 100_000),
    SPLADE_QUERY_CACHE_TTL_S: int(60, 0),
  })
  .transform((e) => ({
    splade: optionalWhenUnset({
      modelDir: e.SPLADE_MODEL_DIR,
      modelId: e.SPLADE_MODEL_ID,
      topK: e.SPLADE_TOP_K,
      minWeight: e.SPLADE_MIN_WEIGHT,
      maxTokens: e.SPLADE_MAX_TOKENS,
      /** largest batch a SPLADE job starts at (halved on out-of-memory, learned per device) */
      batchSize: e.SPLADE_BATCH_SIZE,
      queryCacheTtlS: e.SPLADE_QUERY_CACHE_TTL_S,
    }),
  }));
