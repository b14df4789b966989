import { EmbeddingError } from '../errors/embeddingError.js';
import type { Embedder } from './port.js';
import type { EmbeddingContract } from '../contracts/embedding.js';

export interface FallbackOptions {
  /**
   * After falling back, keep using the in-process model this long before
   * trying vLLM again (default 30 s): while vLLM is down, every call would
   * otherwise first sit out the client's full retry schedule.
   */
  retryPrimaryAfterMs?: number;
  now?: () => number;
}

/**
 * vLLM first, an in-process model when vLLM is unavailable
 * (VLLM_ALLOW_INPROCESS_FALLBACK, never with REQUIRE_GPU). Only a
 * retryable failure (vLLM down after its retries) falls back; a 4xx or an
 * out-of-memory signal is passed on. The contract is the one of the
 * embedder that produced the last vectors, so a run that mixed the two is
 * caught when it commits.
 */
export function withInprocessFallback(
  primary: Embedder,
  fallback: () => Promise<Embedder>,
  onFallback: (err: Error) => void,
  opts: FallbackOptions = {},
): Embedder {
  const retryPrimaryAfterMs = opts.retryPrimaryAfterMs ?? 30_000;
  const now = opts.now ?? Date.now;
  let active: Embedder = primary;
  let backup: Embedder | null = null;
  let backupUntil = -Infinity;
  // the remote service is unavailable; an OOM (a smaller batch helps) or a permanent error is the caller's to handle
  const shouldFallBack = (err: unknown) => err instanceof EmbeddingError && err.retryable;
  const run = async <T>(fn: (e: Embedder) => Promise<T>): Promise<T> => {
    if (backup && now() < backupUntil) return fn(backup);
    try {
      const out = await fn(primary);
      active = primary;
      return out;
    } catch (err) {
      if (!shouldFallBack(err)) throw err;
      onFallback(err as Error);
      backup ??= await fallback();
      active = backup;
      backupUntil = now() + retryPrimaryAfterMs;
      return fn(backup);
    }
  };
  return {
    get contract(): EmbeddingContract {
      return active.contract;
    },
    embedDocuments: (texts, signal) => run((e) => e.embedDocuments(texts, signal)),
    embedQuery: (text, signal) => run((e) => e.embedQuery(text, signal)),
    async health() {
      const h = await primary.health();
      return h.ok ? h : { ok: true, detail: `vLLM unavailable (${h.detail}); in-process fallback in use` };
    },
    async close() {
      await primary.close();
      await backup?.close();
    },
  };
}
