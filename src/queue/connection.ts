import { Redis, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/redis.js';

/**
 * ioredis options for a target. A Sentinel group is asked for the current
 * primary at every (re)connect, so a failover moves every connection, BullMQ's
 * blocking ones included, to the promoted replica; the URL still gives the
 * primary's credentials, database and TLS.
 */
export function connectionOptions(target: RedisTarget): RedisOptions {
  if (!target.sentinel) return {};
  const u = new URL(target.url);
  const db = Number(u.pathname.replace(/^\//, '') || 0);
  return {
    sentinels: target.sentinel.sentinels,
    name: target.sentinel.name,
    // follow +switch-master as the Sentinels announce it, not only at the next connection error
    failoverDetector: true,
    ...(target.sentinel.password && { sentinelPassword: target.sentinel.password }),
    ...(u.username && { username: decodeURIComponent(u.username) }),
    ...(u.password && { password: decodeURIComponent(u.password) }),
    ...(Number.isInteger(db) && db > 0 && { db }),
    ...(u.protocol === 'rediss:' && { tls: {}, enableTLSForSentinelMode: true }),
  };
}

/** What a log line or readiness says about a target, without credentials. */
export function describeTarget(target: RedisTarget): string {
  const url = target.url.replace(/\/\/[^@/]*@/, '//***@');
  if (!target.sentinel) return url;
  return `sentinel primary "${target.sentinel.name}" via ${target.sentinel.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
}

/**
 * After a failover the old primary answers writes with READONLY until the
 * connection moves: reconnect (to the primary the Sentinels or the endpoint's
 * DNS now name) and resend the command (ioredis's 2), instead of failing it.
 */
const reconnectOnError = (err: Error) => (err.message.startsWith('READONLY') ? 2 : false);

function connect(target: RedisTarget, options: RedisOptions): Redis {
  const all = { reconnectOnError, ...options };
  return target.sentinel ? new Redis({ ...connectionOptions(target), ...all }) : new Redis(target.url, all);
}

/**
 * Errors that mean Redis cannot be reached right now (down, failing over,
 * still loading its data), not that a request was wrong: the API answers them
 * 503 with Retry-After, so clients try again.
 */
export function isRedisUnavailable(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' || e.code === 'ETIMEDOUT') return true;
  const m = e.message ?? '';
  return (
    m === 'Connection is closed.' ||
    m.startsWith("Stream isn't writeable and enableOfflineQueue options is false") ||
    m.startsWith('READONLY') ||
    m.startsWith('LOADING') ||
    m.startsWith('All sentinels are unreachable')
  );
}

/**
 * Redis connections for BullMQ. Workers need `maxRetriesPerRequest: null`
 * (blocking commands must not time out); producers fail fast instead so an
 * API request never hangs on a dead Redis.
 */
export function createRedis(target: RedisTarget, kind: 'worker' | 'producer' | 'subscriber', extra: RedisOptions = {}): Redis {
  return connect(target, {
    maxRetriesPerRequest: kind === 'producer' ? 2 : null,
    enableOfflineQueue: kind !== 'producer',
    connectTimeout: 5_000,
    lazyConnect: false,
    ...extra,
  });
}
