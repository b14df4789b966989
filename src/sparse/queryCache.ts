import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SparseEncoder } from './port.js';
import type { SparseVector } from '../contracts/sparse.js';

/**
 * SPLADE query expansion cached in Redis for `ttlS` seconds (seed 003 5.3),
 * keyed by a hash of the query text and the model, so every API and query
 * worker process shares the cache. A Redis hiccup only costs a recompute.
 */
export function createQueryExpansionCache(opts: {
  redis: Redis;
  prefix: string;
  ttlS: number;
  encoder: () => Promise<SparseEncoder>;
}): (text: string) => Promise<SparseVector> {
  return async (text: string) => {
    const encoder = await opts.encoder();
    const key = `${opts.prefix}:splade:q:${createHash('sha256').update(encoder.contract.model).update('\0').update(text).digest('hex')}`;
    if (opts.ttlS > 0) {
      const hit = await opts.redis.get(key).catch(() => null);
      if (hit) return JSON.parse(hit) as SparseVector;
    }
    const weights = await encoder.encodeQuery(text);
    if (opts.ttlS > 0) await opts.redis.set(key, JSON.stringify(weights), 'EX', opts.ttlS).catch(() => {});
    return weights;
  };
}
