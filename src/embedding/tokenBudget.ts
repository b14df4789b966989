/**
 * Requests sized by tokens, not by count: a GPU's time per request grows
 * with its tokens, so 256 short chunks and 256 long ones are not the same
 * request. Inputs are cut, in order, into runs of at most `maxItems` inputs
 * (the learned OOM-safe count) and `maxTokens` tokens; an input longer than
 * the budget alone is a run of its own (the engine still takes it, up to its
 * max_model_len).
 */
export function packByTokens(tokenCounts: readonly number[], maxItems: number, maxTokens: number): Array<{ start: number; end: number }> {
  const runs: Array<{ start: number; end: number }> = [];
  let start = 0;
  let tokens = 0;
  for (let i = 0; i < tokenCounts.length; i++) {
    const t = tokenCounts[i];
    if (i > start && (i - start >= maxItems || tokens + t > maxTokens)) {
      runs.push({ start, end: i });
      start = i;
      tokens = 0;
    }
    tokens += t;
  }
  if (start < tokenCounts.length) runs.push({ start, end: tokenCounts.length });
  return runs;
}

/**
 * An upper bound on a text's tokens that reads no tokenizer: byte-level BPE
 * never yields more tokens than UTF-8 bytes. When the bounds of a whole slice
 * fit the budget, nothing needs counting.
 */
export const tokenUpperBound = (text: string): number => Buffer.byteLength(text, 'utf8');
