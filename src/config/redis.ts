import { z } from 'zod';
import { keyPrefix, redisUrl } from './parsers.js';

/** Redis, which holds the queues, flows, progress, caches and answer streams of every role. */
export const redisSection = z
  .object({
    REDIS_URL: redisUrl('redis://127.0.0.1:6379'),
    /** prefix of every BullMQ queue and codeintel key: several deployments can share one Redis */
    REDIS_PREFIX: keyPrefix('codeintel'),
  })
  .transform((e) => ({ redisUrl: e.REDIS_URL, redisPrefix: e.REDIS_PREFIX }));
