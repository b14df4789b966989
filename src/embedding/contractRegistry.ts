import type { Redis } from 'ioredis';
import type { EmbeddingContract } from '../contracts/embedding.js';

/**
 * The embedding contract the GPU workers serve, published in Redis when a
 * worker's embedder comes up. The index role reads it when planning a run: a
 * contract that differs from the repo's current version means a new model,
 * so the run rebuilds everything instead of mixing two models in one index.
 */
export const embeddingContractKey = (prefix: string) => `${prefix}:embedding:contract`;

/** A week: a fleet that has not started a GPU worker for that long no longer says what it serves. */
const TTL_S = 7 * 24 * 3600;

export async function publishEmbeddingContract(redis: Redis, prefix: string, contract: EmbeddingContract): Promise<void> {
  await redis.set(embeddingContractKey(prefix), JSON.stringify(contract), 'EX', TTL_S);
}

export async function readEmbeddingContract(redis: Redis, prefix: string): Promise<EmbeddingContract | null> {
  const raw = await redis.get(embeddingContractKey(prefix));
  if (!raw) return null;
  try {
    const c = JSON.parse(raw) as EmbeddingContract;
    return typeof c.model === 'string' && Number.isInteger(c.dim) ? c : null;
  } catch {
    return null;
  }
}
