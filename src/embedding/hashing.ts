import { createHash } from 'node:crypto';
import { tokenize } from '../text/codeTokenizer.js';
import { l2Normalize, type Embedder } from './port.js';
import { type EmbeddingContract } from '../contracts/embedding.js';

export const HASHING_MODEL_ID = 'hashing-lexical-v1';

/**
 * A deterministic lexical hashing embedder: each code token (and token
 * bigram) is hashed to a signed bucket of a `dim`-wide vector, weighted by
 * log(1+tf), then L2-normalised. Zero dependencies and no model, so a laptop
 * with nothing but Redis can index and search. It is lexical, not semantic,
 * and says so everywhere its vectors are recorded.
 */
export function createHashingEmbedder(opts: { dim: number }): Embedder {
  const { dim } = opts;
  const contract: EmbeddingContract = {
    model: HASHING_MODEL_ID,
    provider: 'hashing',
    dim,
    dtype: 'float32',
    pooling: 'none',
    normalize: true,
    queryInstruction: '',
  };
  const bucketCache = new Map<string, number>();
  const bucketOf = (feature: string): number => {
    let b = bucketCache.get(feature);
    if (b === undefined) {
      const h = createHash('md5').update(feature).digest();
      // encoded as ±(bucket + 1): the first 4 bytes choose the bucket, one bit the sign
      b = ((h.readUInt32LE(0) % dim) + 1) * (h[4] & 1 ? -1 : 1);
      if (bucketCache.size > 200_000) bucketCache.clear();
      bucketCache.set(feature, b);
    }
    return b;
  };
  const embed = (text: string): Float32Array => {
    const v = new Float32Array(dim);
    const counts = new Map<string, number>();
    const tokens = tokenize(text);
    for (let i = 0; i < tokens.length; i++) {
      counts.set(tokens[i], (counts.get(tokens[i]) ?? 0) + 1);
      if (i > 0) {
        const bigram = `${tokens[i - 1]} ${tokens[i]}`;
        counts.set(bigram, (counts.get(bigram) ?? 0) + 0.5);
      }
    }
    for (const [feature, tf] of counts) {
      const b = bucketOf(feature);
      v[Math.abs(b) - 1] += Math.sign(b) * Math.log1p(tf);
    }
    return l2Normalize(v);
  };
  return {
    contract,
    async embedDocuments(texts) {
      return texts.map(embed);
    },
    async embedQuery(text) {
      return embed(text);
    },
    async health() {
      return { ok: true, detail: `${HASHING_MODEL_ID} (deterministic lexical hashing, not a neural model)` };
    },
    async close() {},
  };
}
