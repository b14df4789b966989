import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LockTimeoutError } from '../errors/lockTimeoutError.js';
import { LeaseLostError } from '../errors/leaseLostError.js';
import { abortableSleep, jittered } from '../resilience/index.js';

/**
 * One manifest writer per repo, across processes: a Redis lease
 * (`SET key token NX PX ttl`), renewed while held and released only by its
 * owner. Index runs hold it while they commit; faiss.compact holds it for its
 * whole rebuild, so the two never commit over each other. A crashed holder's
 * lease simply expires.
 */
export interface RepoLease {
  /**
   * false once renewal found the lease gone (expired or taken), or once no renewal has
   * succeeded for a lease time (Redis unreachable: the lease may have expired meanwhile)
   */
  readonly held: boolean;
  /** throws LeaseLostError when the lease is no longer held */
  assertHeld(): void;
  /** The fencing token: grows with every grant of this repo's lease. The manifest commit refuses older ones. */
  readonly fence: number;
  /** Ask Redis now (not the last renewal) whether the lease is still ours; throws LeaseLostError if not. */
  confirm(): Promise<void>;
}

export interface RepoLock {
  /** Run fn while holding the repo's lease; waits up to waitMs for it. */
  withLock<T>(repo: string, fn: (lease: RepoLease) => Promise<T>, opts?: { waitMs?: number }): Promise<T>;
}



export interface RepoLockOptions {
  redis: Redis;
  prefix: string;
  /** lease time; renewed every ttl/3 */
  ttlMs?: number;
  /** default wait for a busy lease */
  waitMs?: number;
  /** poll interval while waiting (jittered) */
  pollMs?: number;
}

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export const repoLockKey = (prefix: string, repo: string) => `${prefix}:repo-lock:${repo}`;
export const repoFenceKey = (prefix: string, repo: string) => `${prefix}:repo-fence:${repo}`;

export function createRepoLock(opts: RepoLockOptions): RepoLock {
  const ttlMs = opts.ttlMs ?? 30_000;
  const pollMs = opts.pollMs ?? 200;
  const { redis } = opts;
  return {
    async withLock(repo, fn, call = {}) {
      const key = repoLockKey(opts.prefix, repo);
      const token = randomBytes(12).toString('hex');
      const waitMs = call.waitMs ?? opts.waitMs ?? 15 * 60_000;
      const started = Date.now();
      while ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') {
        if (Date.now() - started >= waitMs) throw new LockTimeoutError(repo, Date.now() - started);
        await abortableSleep(jittered(pollMs));
      }
      const grantedAt = Date.now();
      const fence = await redis.incr(repoFenceKey(opts.prefix, repo));
      let taken = false;
      // the lease is valid until ttl after the last renewal Redis confirmed (or the grant)
      let validUntil = grantedAt + ttlMs;
      const renew = setInterval(() => {
        const sent = Date.now();
        redis.eval(RENEW, 1, key, token, String(ttlMs)).then(
          (ok) => {
            if (ok !== 1) taken = true;
            else validUntil = sent + ttlMs;
          },
          () => {
            // a Redis hiccup: the next renewal tries again; past validUntil the lease counts as lost
          },
        );
      }, Math.max(50, Math.floor(ttlMs / 3)));
      renew.unref();
      const isHeld = () => !taken && Date.now() < validUntil;
      const lease: RepoLease = {
        get held() {
          return isHeld();
        },
        assertHeld() {
          if (!isHeld()) throw new LeaseLostError(repo);
        },
        fence,
        async confirm() {
          if (!isHeld() || (await redis.get(key)) !== token) {
            taken = true;
            throw new LeaseLostError(repo);
          }
        },
      };
      try {
        return await fn(lease);
      } finally {
        clearInterval(renew);
        await redis.eval(RELEASE, 1, key, token).catch(() => {});
      }
    },
  };
}
