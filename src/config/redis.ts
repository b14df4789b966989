import { z } from 'zod';
import { hostPortList, keyPrefix, optionalText, redisUrl, text } from './parsers.js';

/**
 * Where Redis is: one URL, or a Sentinel group that names the current primary.
 * With `sentinel`, the URL's host is not used: it still gives the primary's
 * credentials, database and TLS (rediss://).
 */
export interface RedisTarget {
  url: string;
  sentinel?: { sentinels: { host: string; port: number }[]; name: string; password?: string };
}

/** Redis, which holds the queues, flows, progress, caches and answer streams of every role. */
export const redisSection = z
  .object({
    REDIS_URL: redisUrl('redis://127.0.0.1:6379'),
    /** Sentinels to ask for the primary (host:port, comma-separated); unset = REDIS_URL is the server */
    REDIS_SENTINELS: hostPortList(),
    /** the primary's name in the Sentinels' configuration (`sentinel monitor <name> …`) */
    REDIS_SENTINEL_MASTER: text('mymaster'),
    /** the Sentinels' own password (`requirepass` in sentinel.conf), when they have one */
    REDIS_SENTINEL_PASSWORD: optionalText(),
    /** prefix of every BullMQ queue and codeintel key: several deployments can share one Redis */
    REDIS_PREFIX: keyPrefix('codeintel'),
  })
  .transform((e) => ({
    redis: {
      url: e.REDIS_URL,
      ...(e.REDIS_SENTINELS.length > 0 && {
        sentinel: { sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_MASTER, ...(e.REDIS_SENTINEL_PASSWORD && { password: e.REDIS_SENTINEL_PASSWORD }) },
      }),
    } satisfies RedisTarget as RedisTarget,
    redisPrefix: e.REDIS_PREFIX,
  }));
