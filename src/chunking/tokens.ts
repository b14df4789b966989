/**
 * Cheap token estimate used for chunk budgets: about four characters per token, which is
 * close enough for BPE tokenizers on code (identifiers merge, indentation compresses) and
 * costs nothing. Budgets are soft limits for the embedder, not exact counts.
 */
export const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}
