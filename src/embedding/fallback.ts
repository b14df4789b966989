import type { Embedder, EmbeddingContract } from './port.js';

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
): Embedder {
  let active: Embedder = primary;
  let backup: Embedder | null = null;
  const shouldFallBack = (err: unknown) => (err as { retryable?: boolean })?.retryable === true;
  const run = async <T>(fn: (e: Embedder) => Promise<T>): Promise<T> => {
    try {
      const out = await fn(primary);
      active = primary;
      return out;
    } catch (err) {
      if (!shouldFallBack(err)) throw err;
      onFallback(err as Error);
      backup ??= await fallback();
      active = backup;
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
