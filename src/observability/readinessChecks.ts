import type { Runtime } from '../runtime/runtime.js';
import { chooseEmbedder } from '../embedding/factory.js';
import { faissVersion } from '../vector/faissNative.js';
import { evaluateReadiness, type Readiness, type ReadinessCheck } from './readiness.js';

/** The readiness checks of a process (seed 001 §G): Redis, embedder, SPLADE, FAISS, DuckDB. */
export function createReadiness(rt: Runtime): () => Promise<Readiness> {
  const checks: Record<string, () => Promise<ReadinessCheck>> = {
    redis: async () => {
      const pong = await rt.redis.ping();
      return { ok: pong === 'PONG', required: true, detail: pong === 'PONG' ? rt.config.redisUrl.replace(/\/\/.*@/, '//***@') : `answered ${pong}` };
    },
    embedder: async () => {
      const embedder = await rt.embedder();
      const health = await embedder.health();
      return {
        ok: health.ok,
        required: true,
        provider: embedder.contract.provider,
        model: embedder.contract.model,
        dim: embedder.contract.dim,
        detail:
          chooseEmbedder(rt.config) === 'hashing'
            ? 'deterministic lexical hashing embedder (embedded default; no neural model configured)'
            : health.detail,
      };
    },
    splade: async () => {
      if (!rt.sparseEncoder) {
        return { ok: true, required: false, configured: false, detail: 'no SPLADE model configured (SPLADE_MODEL_DIR): the sparse channel is BM25 alone' };
      }
      const enc = await rt.sparseEncoder();
      return { ok: true, required: false, configured: true, model: enc.contract.model, topK: enc.contract.topK };
    },
    faiss: async () => ({ ok: true, required: true, detail: `libfaiss ${faissVersion()}` }),
    duckdb: async () => {
      const db = await rt.duckdb();
      await db.withConnection((c) => c.run('SELECT 1'));
      return { ok: true, required: true };
    },
  };
  return () => evaluateReadiness(checks);
}
