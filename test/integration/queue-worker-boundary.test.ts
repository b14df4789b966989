import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { JOBS } from '../../src/contracts/jobs.js';
import { InvalidPayloadError } from '../../src/errors/invalidPayloadError.js';
import { UnavailableError } from '../../src/errors/unavailableError.js';
import { UnprocessableError } from '../../src/errors/unprocessableError.js';
import { silentLogger } from '../../src/observability/logger.js';
import { enqueue } from '../../src/queue/producer.js';
import { startQueueWorker } from '../../workers/queueWorker.js';
import { dropPrefix, REDIS_URL } from '../support/stack.js';

/** A sink-queue worker on a private prefix, with one sink.batch processor the test controls. */
async function harness(processor: (job: Job) => Promise<never>) {
  const prefix = `citest-boundary-${randomBytes(4).toString('hex')}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('sink', { connection: redis, prefix });
  const events = new QueueEvents('sink', { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix });
  await events.waitUntilReady();
  const calls: unknown[] = [];
  const worker = startQueueWorker(
    'sink',
    { 'sink.batch': async (job) => { calls.push(job.data); return processor(job as unknown as Job); } },
    { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), prefix, concurrency: 1, lockMs: 5000, stalledIntervalMs: 1000, logger: silentLogger() },
  );
  const finished = (id: string) =>
    new Promise<string>((resolve) => {
      events.on('failed', ({ jobId, failedReason }) => jobId === id && resolve(failedReason));
    });
  return {
    queue,
    calls,
    finished,
    async close() {
      await worker.close();
      await events.close();
      await queue.close();
      redis.disconnect();
      await dropPrefix(prefix);
    },
  };
}

describe('the worker boundary of the job registry', () => {
  let h: Awaited<ReturnType<typeof harness>> | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  it('fails a job whose payload breaks its schema at once, without calling the processor or retrying', async () => {
    h = await harness(async () => {
      throw new Error('never called');
    });
    // added around the producer, as a foreign or outdated client would
    const job = await h.queue.add('sink.batch', { runId: 'r1', repo: '../escape', batchIndex: -1 }, { ...JOBS['sink.batch'].options, backoff: 1 });
    const reason = await h.finished(job.id!);
    expect(reason).toMatch(/sink\.batch payload is invalid and can never succeed: repo: .*; batchIndex: /);
    const failed = await h.queue.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
    expect(h.calls).toEqual([]);
  });

  it('fails at once on a domain error that declares it cannot succeed on a retry', async () => {
    h = await harness(async () => {
      throw new UnprocessableError('batch-too-large', 'even one chunk is too large for this device');
    });
    const job = await enqueue({ sink: h.queue }, 'sink.batch', { runId: 'r2', repo: 'repo', batchIndex: 0, sparse: false }, { backoff: 1 });
    expect(await h.finished(job.id!)).toBe('even one chunk is too large for this device');
    expect((await h.queue.getJob(job.id!))?.attemptsMade).toBe(1);
  });

  it('retries a retryable domain error with the registry policy', async () => {
    h = await harness(async () => {
      throw new UnavailableError('engine-down', 'the engine is restarting');
    });
    const job = await enqueue({ sink: h.queue }, 'sink.batch', { runId: 'r3', repo: 'repo', batchIndex: 0, sparse: false }, { attempts: 3, backoff: 1 });
    const reason = await new Promise<string>((resolve) => {
      const poll = setInterval(async () => {
        const j = await h!.queue.getJob(job.id!);
        if (j?.finishedOn) {
          clearInterval(poll);
          resolve(j.failedReason);
        }
      }, 50);
    });
    expect(reason).toBe('the engine is restarting');
    expect(h.calls).toHaveLength(3);
  });

  it('refuses an invalid payload at the producer too, before it reaches Redis', async () => {
    h = await harness(async () => {
      throw new Error('never called');
    });
    await expect(enqueue({ sink: h.queue }, 'sink.batch', { runId: 'has space', repo: 'repo', batchIndex: 0, sparse: false })).rejects.toBeInstanceOf(InvalidPayloadError);
    expect(await h.queue.count()).toBe(0);
  });
});
