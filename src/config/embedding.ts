import { z } from 'zod';
import { bool, httpUrl, int, num, oneOf, optionalText, text } from './parsers.js';
import { optionalWhenUnset } from './shape.js';

/**
 * Dense embeddings: which embedder (vLLM over HTTP, in-process ONNX, or the hashing fallback)
 * and the vLLM client. Names follow seed 000 (VLLM_*) so operators can carry their settings over.
 */
export const embeddingSection = z
  .object({
    EMBEDDER: oneOf(['auto', 'hashing', 'vllm', 'onnx'] as const, 'auto'),
    EMBEDDING_DIM: int(384, 8, 8192),
    EMBEDDING_MODEL_DIR: optionalText(),
    VLLM_URL: httpUrl(),
    VLLM_MODEL: text('Qwen/Qwen3-Embedding-8B'),
    VLLM_BATCH_SIZE: int(256, 1, 100_000),
    VLLM_TIMEOUT_S: num(30, 0.01),
    VLLM_MAX_RETRIES: int(3, 0, 20),
    VLLM_RETRY_BACKOFF_MS: int(250, 0),
    VLLM_NORMALIZE: bool(true),
    VLLM_POOLING: oneOf(['mean', 'cls', 'last'] as const, 'mean'),
    VLLM_HEALTH_PATH: text('/health'),
    VLLM_HTTP2: bool(false),
    VLLM_MAX_MODEL_LEN: int(32768, 8),
    VLLM_QUERY_INSTRUCTION: text('Given a question about a code repository, retrieve code that answers it'),
    VLLM_ALLOW_INPROCESS_FALLBACK: bool(false),
  })
  .transform((e) => ({
    embedding: optionalWhenUnset({
      kind: e.EMBEDDER,
      dim: e.EMBEDDING_DIM,
      modelDir: e.EMBEDDING_MODEL_DIR,
      // the in-process embedder pools and normalises like the vLLM deployment it stands in for
      pooling: e.VLLM_POOLING,
      normalize: e.VLLM_NORMALIZE,
    }),
    vllm: optionalWhenUnset({
      url: e.VLLM_URL,
      model: e.VLLM_MODEL,
      batchSize: e.VLLM_BATCH_SIZE,
      timeoutMs: Math.round(e.VLLM_TIMEOUT_S * 1000),
      maxRetries: e.VLLM_MAX_RETRIES,
      retryBackoffMs: e.VLLM_RETRY_BACKOFF_MS,
      normalize: e.VLLM_NORMALIZE,
      pooling: e.VLLM_POOLING,
      healthPath: e.VLLM_HEALTH_PATH,
      http2: e.VLLM_HTTP2,
      maxModelLen: e.VLLM_MAX_MODEL_LEN,
      queryInstruction: e.VLLM_QUERY_INSTRUCTION,
      allowInprocessFallback: e.VLLM_ALLOW_INPROCESS_FALLBACK,
    }),
  }));
