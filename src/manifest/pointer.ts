import type { Redis } from 'ioredis';

export type PointerSwap =
  | { ok: true }
  | { ok: false; reason: 'moved' | 'fenced'; current: number | null; fence: number };

/**
 * The one mutable thing of a repo in an object store: which manifest version is current,
 * with the newest committed fencing token. Every other object is written once.
 */
export interface ManifestPointer {
  read(repo: string): Promise<number | null>;
  /**
   * Point at `next` only if the pointer is at `expected` (undefined: whatever it is) and no
   * writer with a newer fence has committed: one of two concurrent commits wins, the other is told why.
   */
  swap(repo: string, opts: { expected: number | null | undefined; next: number; fence?: number }): Promise<PointerSwap>;
  /** Set the pointer only where it is unset (recovering from the store's CURRENT copy after Redis lost it). */
  seed(repo: string, version: number): Promise<void>;
  /** A version number never handed out before for this repo, above `floor` (the highest one in the store). */
  allocateVersion(repo: string, floor: number): Promise<number>;
}

// KEYS[1] the repo's hash; ARGV: expected ('' = none, '*' = any), next, fence ('' = no fence)
const SWAP = `
local cur = redis.call('hget', KEYS[1], 'version') or ''
local fence = tonumber(redis.call('hget', KEYS[1], 'fence') or '0')
if ARGV[3] ~= '' and tonumber(ARGV[3]) < fence then return {'fenced', cur, tostring(fence)} end
if ARGV[1] ~= '*' and cur ~= ARGV[1] then return {'moved', cur, tostring(fence)} end
redis.call('hset', KEYS[1], 'version', ARGV[2])
if ARGV[3] ~= '' then redis.call('hset', KEYS[1], 'fence', ARGV[3]) end
return {'ok', ARGV[2], tostring(fence)}`;

// KEYS[1] the repo's hash; ARGV[1] the floor
const ALLOCATE = `
local seq = tonumber(redis.call('hget', KEYS[1], 'seq') or '0')
local floor = tonumber(ARGV[1])
if seq < floor then seq = floor end
seq = seq + 1
redis.call('hset', KEYS[1], 'seq', tostring(seq))
return seq`;

/**
 * The pointer in Redis, swapped by a Lua compare-and-set (atomic on the server). Chosen over
 * S3 conditional writes (If-Match / If-None-Match on PutObject) because those are recent on
 * AWS (2024) and missing on many S3-compatible servers, s3rver among them, which ignores
 * them; Redis is already every role's dependency. Give Redis persistence (AOF) in production;
 * the store keeps a CURRENT copy so a pointer lost with Redis is recovered from it.
 */
export function createRedisManifestPointer(redis: Redis, prefix: string): ManifestPointer {
  const key = (repo: string) => `${prefix}:manifest-pointer:${repo}`;
  return {
    async read(repo) {
      const v = await redis.hget(key(repo), 'version');
      return v ? Number(v) : null;
    },
    async swap(repo, { expected, next, fence }) {
      const exp = expected === undefined ? '*' : expected === null ? '' : String(expected);
      const [status, cur, f] = (await redis.eval(SWAP, 1, key(repo), exp, String(next), fence === undefined ? '' : String(fence))) as string[];
      if (status === 'ok') return { ok: true };
      return { ok: false, reason: status as 'moved' | 'fenced', current: cur ? Number(cur) : null, fence: Number(f) };
    },
    async seed(repo, version) {
      await redis.hsetnx(key(repo), 'version', String(version));
    },
    async allocateVersion(repo, floor) {
      return Number(await redis.eval(ALLOCATE, 1, key(repo), String(floor)));
    },
  };
}
