import type { EmbeddingContract } from '../contracts/embedding.js';

/**
 * Each channel's weight in the fusion (weighted RRF). Chosen on bench:quality
 * (docs/retrieval.md has the runs): the lexical hashing embedder is a noisy
 * copy of the lexical evidence BM25 already scores, so with it fused at full
 * weight the default search was below BM25 alone; its weight here is where
 * it stops hurting: 0.5 and 0.25 both lost R@10 against BM25 alone (0.682 and
 * 0.675 against 0.739), so at 0 it leaves the default fusion (and the
 * default search does not embed the query); `channels: ["dense"]` still
 * asks it. Learned dense models (ONNX, vLLM) and SPLADE carry
 * evidence BM25 lacks and keep full weight.
 */
export const HASHING_DENSE_WEIGHT = 0;

export function channelWeights(embedding: Pick<EmbeddingContract, 'provider'>): Record<string, number> {
  return {
    bm25: 1,
    splade: 1,
    dense: embedding.provider === 'hashing' ? HASHING_DENSE_WEIGHT : 1,
  };
}
