import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { readOrCreateStoreId } from '../../src/artifacts/storeIdentity.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { serve, type Server } from '../../workers/serve.js';
import { startQueueWorker } from '../../workers/queueWorker.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { dropPrefix, REDIS_URL, testEnv } from '../support/stack.js';

/** Issue 13, hole 5: two deployments on one Redis prefix must not take each other's jobs. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function deployment(prefix: string, dataDir?: string): Promise<Server> {
  const { env, dataDir: own } = await testEnv({ REDIS_PREFIX: prefix, ...(dataDir ? { DATA_DIR: dataDir } : {}) });
  cleanups.push(() => removeDir(own));
  const server = await serve(loadConfig(env), silentLogger(), { roles: ['sink'], api: false });
  cleanups.push(() => server.close());
  return server;
}

describe('one Redis prefix, one artifact store', () => {
  it('the store id is written once and read back the same by every process sharing DATA_DIR', async () => {
    const dir = await makeTmpDir('codeintel-store-');
    cleanups.push(() => removeDir(dir));
    const ids = await Promise.all([readOrCreateStoreId(dir), readOrCreateStoreId(dir), readOrCreateStoreId(dir)]);
    expect(new Set(ids).size).toBe(1);
    expect(await readOrCreateStoreId(dir)).toBe(ids[0]);
    const other = await makeTmpDir('codeintel-store-');
    cleanups.push(() => removeDir(other));
    expect(await readOrCreateStoreId(other)).not.toBe(ids[0]);
  });

  it('a second deployment with another DATA_DIR on the same prefix refuses to start, saying why in one line', async () => {
    const prefix = `citest-store-${randomBytes(4).toString('hex')}`;
    cleanups.push(() => dropPrefix(prefix));
    await deployment(prefix);
    const second = await deployment(prefix).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(second?.message).toMatch(new RegExp(`^REDIS_PREFIX "${prefix}" is in use by another deployment .*give each deployment its own REDIS_PREFIX`));
    expect(second?.message).not.toContain('\n');
  });

  it('processes that share one DATA_DIR share the prefix', async () => {
    const prefix = `citest-store-${randomBytes(4).toString('hex')}`;
    cleanups.push(() => dropPrefix(prefix));
    const dataDir = await makeTmpDir('codeintel-shared-');
    cleanups.push(() => removeDir(dataDir));
    await deployment(prefix, dataDir);
    await expect(deployment(prefix, dataDir)).resolves.toBeTruthy();
  });

  it('a worker of another store leaves a batch job alone: not run, not failed, put back for later', async () => {
    const prefix = `citest-store-${randomBytes(4).toString('hex')}`;
    cleanups.push(() => dropPrefix(prefix));
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('sink', { connection: redis, prefix });
    cleanups.push(async () => {
      await queue.close();
      redis.disconnect();
    });
    const ran: unknown[] = [];
    const worker = startQueueWorker(
      'sink',
      { 'sink.batch': async (job) => { ran.push(job.data); throw new Error('must not run'); } },
      {
        connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }),
        prefix,
        concurrency: 1,
        lockMs: 5000,
        stalledIntervalMs: 1000,
        logger: silentLogger(),
        storeId: 'store-mine',
        foreignStoreDelayMs: 60_000,
      },
    );
    cleanups.push(() => worker.close());
    const job = await queue.add('sink.batch', { runId: 'r1', repo: 'x', batchIndex: 0, sparse: false, store: 'store-theirs' }, { attempts: 1 });
    await expect.poll(async () => queue.getJobState(job.id!), { timeout: 10_000 }).toBe('delayed');
    const after = (await queue.getJob(job.id!))!;
    expect(ran).toEqual([]);
    expect(after.failedReason).toBeFalsy();
    expect(after.attemptsMade).toBe(0);
  });
});
