import type { EmbeddingContract } from '../contracts/embedding.js';

/**
 * The dense embedding port. Adapters: deterministic lexical hashing (the
 * zero-dependency default), vLLM's OpenAI-compatible /v1/embeddings, and an
 * in-process onnxruntime model. Small on purpose: embed documents, embed a
 * query, say what you are, report health, close.
 */

export interface Embedder {
  readonly contract: EmbeddingContract;
  /** Embed documents; returns one row per text, each `dim` long, in input order. */
  embedDocuments(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
  /** Embed one search query (may add the model's query instruction). */
  embedQuery(text: string, signal?: AbortSignal): Promise<Float32Array>;
  health(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}


export function l2Normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}
