import type { Redis } from 'ioredis';
import { ConflictError } from '../errors/conflictError.js';

/**
 * One Redis prefix serves one artifact store. Two deployments with different DATA_DIRs on
 * the same prefix would take each other's encode.* and sink.batch jobs and fail them for
 * artifacts they cannot see, so a process claims the prefix for its store when it starts
 * and refuses to start while another store holds it. The claim lives as long as a process
 * of that store renews it: a deployment that is gone frees the prefix after `ttlMs`.
 */
export interface StoreClaim {
  close(): Promise<void>;
}

export const storeClaimKey = (prefix: string) => `${prefix}:artifact-store`;

// Take the key when free, keep it when ours (refreshing the ttl), report the holder otherwise.
const CLAIM = `
local cur = redis.call('get', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return cur`;

export async function claimPrefixForStore(
  redis: Redis,
  opts: { prefix: string; storeId: string; dataDir: string; ttlMs?: number; onLost?: (holder: string) => void },
): Promise<StoreClaim> {
  const ttlMs = opts.ttlMs ?? 60_000;
  const key = storeClaimKey(opts.prefix);
  const claim = async () => (await redis.eval(CLAIM, 1, key, opts.storeId, String(ttlMs))) as string;
  const holder = await claim();
  if (holder !== opts.storeId) {
    throw new ConflictError(
      'redis-prefix-in-use',
      `REDIS_PREFIX "${opts.prefix}" is in use by another deployment (artifact store ${holder}; this one is ${opts.storeId} in ${opts.dataDir}): give each deployment its own REDIS_PREFIX, or let its processes share one DATA_DIR`,
    );
  }
  const renew = setInterval(() => {
    claim().then(
      (h) => {
        if (h !== opts.storeId) opts.onLost?.(h);
      },
      () => undefined, // a Redis hiccup: the next renewal tries again
    );
  }, Math.max(100, Math.floor(ttlMs / 3)));
  renew.unref();
  return {
    async close() {
      // not deleted: other processes of this store may still run; the claim expires after ttlMs
      clearInterval(renew);
    },
  };
}
