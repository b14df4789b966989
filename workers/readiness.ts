import type { Redis } from 'ioredis';
import type { DuckDb } from '../src/catalog/duckdb.js';
import type { Embedder } from '../src/embedding/port.js';
import type { ManifestStore } from '../src/manifest/store.js';
import type { Sink } from '../src/sinks/port.js';
import type { SparseEncoder } from '../src/sparse/port.js';
import { faissVersion } from '../src/vector/faissNative.js';
import { evaluateReadiness, type Readiness, type ReadinessCheck, type ReadinessProbe } from '../src/observability/readiness.js';
import { withTimeout } from '../src/resilience/index.js';
import { createContractCheck } from '../src/retrieval/embeddingContractCheck.js';

/** What readiness probes: each dependency on its own, never the whole runtime. */
export interface ReadinessDeps {
  redis: Pick<Redis, 'ping'>;
  /** shown in the check's detail, without credentials (describeTarget) */
  redisDetail: string;
  embedder: () => Promise<Embedder>;
  /** true when no neural model is configured and the lexical hashing embedder serves */
  hashingEmbedder: boolean;
  /** null when no SPLADE model is configured */
  sparseEncoder: (() => Promise<SparseEncoder>) | null;
  duckdb: () => Promise<DuckDb>;
  manifests: ManifestStore;
  /** where committed data lives, and a probe that throws when it cannot be reached */
  storage?: { location: string; probe(): Promise<void> };
  optionalSinks: () => Promise<Sink[]>;
  /** how many workers consume each queue, across every process on this Redis (BullMQ's getWorkersCount) */
  queueConsumers?: () => Promise<Record<string, number>>;
}

/** The readiness checks of a process (seed 001 §G): Redis, embedder, SPLADE, FAISS, DuckDB. */
export function createReadiness(rt: ReadinessDeps): () => Promise<Readiness> {
  const checks: Record<string, () => Promise<ReadinessCheck>> = {
    redis: async () => {
      const pong = await rt.redis.ping();
      return { ok: pong === 'PONG', required: true, detail: pong === 'PONG' ? rt.redisDetail : `answered ${pong}` };
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
          rt.hashingEmbedder
            ? 'deterministic lexical hashing embedder (embedded default; no neural model configured)'
            : health.detail,
      };
    },
    splade: async () => {
      if (!rt.sparseEncoder) {
        return { ok: true, required: false, configured: false, detail: 'no SPLADE model configured (SPLADE_MODEL_DIR): the sparse channel is BM25 alone' };
      }
      // optional like the channel it feeds: a missing model makes the service degraded, not down
      const enc = await rt.sparseEncoder().catch((err: Error) => err);
      if (enc instanceof Error) {
        return { ok: false, required: false, configured: true, detail: `${enc.message}; the splade channel is dropped and index runs fail at encode.sparse` };
      }
      return { ok: true, required: false, configured: true, model: enc.contract.model, topK: enc.contract.topK };
    },
    ...(rt.storage
      ? {
          storage: async (): Promise<ReadinessCheck> => {
            const storage = rt.storage!;
            const err = await storage.probe().then(() => null, (e: Error) => e);
            return { ok: err === null, required: true, detail: err ? err.message : storage.location };
          },
        }
      : {}),
    faiss: async () => ({ ok: true, required: true, detail: `libfaiss ${faissVersion()}` }),
    duckdb: async () => {
      const db = await rt.duckdb();
      await db.withConnection((c) => c.run('SELECT 1'));
      return { ok: true, required: true };
    },
    // embedder dimension = FAISS dimension = Parquet FLOAT[dim] width, per indexed repo (seed 001 §E)
    embedding_contract: createContractCheck({ manifests: rt.manifests, embedder: rt.embedder, duckdb: rt.duckdb }),
  };
  // a queue nobody consumes holds its jobs forever: degraded, and the detail names the role to start
  if (rt.queueConsumers) {
    const consumers = rt.queueConsumers;
    checks.queues = async () => {
      const counts = await consumers();
      const idle = Object.entries(counts).filter(([, n]) => n === 0).map(([q]) => q);
      return {
        ok: idle.length === 0,
        required: false,
        consumers: counts,
        detail: idle.length
          ? `no worker consumes ${idle.map((q) => `"${q}"`).join(', ')}; start one with codeintel worker --role ${idle[0]} (or codeintel serve)`
          : 'every queue has a consumer',
      };
    };
  }
  // one non-required check per optional sink (neo4j, opensearch, ...): a sink that is down makes the service degraded
  return async () => {
    const sinks = await rt.optionalSinks().catch(() => []);
    const sinkChecks: Record<string, ReadinessProbe> = {};
    for (const sink of sinks) {
      const check: ReadinessProbe = async () => {
        // a slow sink answers with its own explanation before evaluateReadiness's generic timeout
        const h = await withTimeout(() => sink.health(), 2_500, { message: 'health check did not answer within 2500 ms' }).catch((err: Error) => ({
          ok: false,
          detail: err.message,
        }));
        return {
          ok: h.ok,
          required: false,
          detail: h.ok ? h.detail : `${h.detail ?? 'unhealthy'}; its writes are retried, then skipped and reported; Parquet and the other sinks carry on`,
        };
      };
      check.required = false;
      sinkChecks[`sink:${sink.name}`] = check;
    }
    return evaluateReadiness({ ...checks, ...sinkChecks });
  };
}
