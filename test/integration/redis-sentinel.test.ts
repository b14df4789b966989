import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createRedis, describeTarget } from '../../src/queue/connection.js';
import { startSentinelGroup, type SentinelGroup } from '../support/redisSentinel.js';
// @ts-expect-error plain-Node setup script without types
import { ensureRedis } from '../../scripts/ensure-redis.mjs';

/** Is `key` on the server at `port`? Read straight from that server, not through the Sentinel. */
async function existsOn(port: number, key: string): Promise<boolean> {
  const r = new Redis({ port, host: '127.0.0.1' });
  try {
    return (await r.exists(key)) === 1;
  } finally {
    r.disconnect();
  }
}

describe('Redis behind a Sentinel group (REDIS_SENTINELS)', () => {
  let dir: string;
  let group: SentinelGroup;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'codeintel-sentinel-'));
    group = await startSentinelGroup(dir);
  }, 60_000);

  afterAll(async () => {
    await group?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs BullMQ jobs on the primary the Sentinel names, and on the promoted replica after a failover', async () => {
    // REDIS_URL's host is a port nothing listens on: only the Sentinel can lead the connection to the primary
    const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:1/0', REDIS_SENTINELS: `127.0.0.1:${group.sentinelPort}`, REDIS_SENTINEL_MASTER: group.name });
    expect(describeTarget(config.redis)).toBe(`sentinel primary "${group.name}" via 127.0.0.1:${group.sentinelPort}`);
    const prefix = `sentinel-${process.pid}`;
    const producer = createRedis(config.redis, 'producer');
    const connection = createRedis(config.redis, 'worker');
    const queue = new Queue('work', { connection: producer, prefix });
    const events = new QueueEvents('work', { connection: createRedis(config.redis, 'worker'), prefix });
    const worker = new Worker('work', async (job) => `done ${job.data.n}`, { connection, prefix });
    try {
      await events.waitUntilReady();
      const first = await queue.add('job', { n: 1 });
      expect(await first.waitUntilFinished(events, 10_000)).toBe('done 1');
      const before = await group.primaryPort();
      expect(await existsOn(before, `${prefix}:work:${first.id}`)).toBe(true);

      const after = await group.failover();
      expect(after).not.toBe(before);
      // the producer may see the old primary close under it: a failed add is retried, as the API's clients do on 503
      let second;
      for (let attempt = 0; !second; attempt++) {
        second = await queue.add('job', { n: 2 }).catch((err: Error) => {
          if (attempt >= 50) throw err;
          return new Promise<undefined>((r) => setTimeout(() => r(undefined), 200));
        });
      }
      expect(await second.waitUntilFinished(events, 20_000)).toBe('done 2');
      expect(await existsOn(after, `${prefix}:work:${second.id}`)).toBe(true);
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
      connection.disconnect();
      producer.disconnect();
    }
  }, 90_000);

  it('setup (npm start, npm test) finds the primary through the Sentinel and starts no Redis of its own', async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:1', REDIS_SENTINELS: `127.0.0.1:${group.sentinelPort}`, REDIS_SENTINEL_MASTER: group.name };
    expect(await ensureRedis(env)).toEqual({ url: `redis://127.0.0.1:${await group.primaryPort()}`, started: false });
    await expect(ensureRedis({ ...env, REDIS_SENTINEL_MASTER: 'no-such-group' })).rejects.toThrow(/no Sentinel in REDIS_SENTINELS .* names a primary "no-such-group"/);
  });

  it('rejects a Sentinel address that is not host:port, naming the variable', () => {
    expect(() => loadConfig({ REDIS_SENTINELS: '127.0.0.1:26379,sentinel-b' })).toThrow(/REDIS_SENTINELS.*sentinel-b/s);
  });
});
