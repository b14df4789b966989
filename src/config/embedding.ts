import { z } from 'zod';
import { bool, httpUrl, httpUrlList, int, num, oneOf, optionalText, text } from './parsers.js';
import { resolveVllmEndpoint } from './vllmEndpoints.js';
import { optionalWhenUnset } from './shape.js';

/** GPU_DEVICE as an index, -1 when unset or not one (the gpu section reports a bad value). */
const deviceIndex = (raw: string | undefined) => (raw !== undefined && /^\d+$/.test(raw.trim()) ? Number(raw) : -1);

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
    VLLM_URLS: httpUrlList(),
    VLLM_ENDPOINTS: oneOf(['shared', 'per-gpu'] as const, 'shared'),
    // read here too (raw: the gpu section validates it): with VLLM_ENDPOINTS=per-gpu the device picks this worker's endpoint
    GPU_DEVICE: z.string().optional(),
    VLLM_MODEL: text('Qwen/Qwen3-Embedding-8B'),
    VLLM_BATCH_SIZE: int(256, 1, 100_000),
    VLLM_BATCH_MAX_TOKENS: int(65_536, 16, 10_000_000),
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
  .transform((e, ctx) => ({
    embedding: optionalWhenUnset({
      kind: e.EMBEDDER,
      dim: e.EMBEDDING_DIM,
      modelDir: e.EMBEDDING_MODEL_DIR,
      // the in-process embedder pools and normalises like the vLLM deployment it stands in for
      pooling: e.VLLM_POOLING,
      normalize: e.VLLM_NORMALIZE,
    }),
    vllm: optionalWhenUnset({
      url: resolveVllmEndpoint({ mode: e.VLLM_ENDPOINTS, url: e.VLLM_URL, urls: e.VLLM_URLS, device: deviceIndex(e.GPU_DEVICE) }, ctx),
      endpoints: e.VLLM_ENDPOINTS,
      /** every endpoint of the fleet (VLLM_URLS); `url` is this process's */
      urls: e.VLLM_URLS,
      model: e.VLLM_MODEL,
      batchSize: e.VLLM_BATCH_SIZE,
      /** tokens per /v1/embeddings request (src/embedding/tokenBudget.ts), within the learned OOM-safe count */
      batchMaxTokens: e.VLLM_BATCH_MAX_TOKENS,
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
