import { Redis, type RedisOptions } from 'ioredis';

/**
 * Redis connections for BullMQ. Workers need `maxRetriesPerRequest: null`
 * (blocking commands must not time out); producers fail fast instead so an
 * API request never hangs on a dead Redis.
 */
export function createRedis(url: string, kind: 'worker' | 'producer' | 'subscriber', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: kind === 'producer' ? 2 : null,
    enableOfflineQueue: kind !== 'producer',
    connectTimeout: 5_000,
    lazyConnect: false,
    ...extra,
  });
}

/** Does anything answer PING on this URL within `timeoutMs`? */
export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const client = new Redis(url, {
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
