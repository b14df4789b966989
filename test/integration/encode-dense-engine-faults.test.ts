import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { artifactKeys } from '../../src/contracts/artifacts.js';
import { createEncodeDenseProcessor } from '../../jobs/encodeDense.js';
import { createDirectoryArtifactStore, type ArtifactStore } from '../../src/artifacts/store.js';
import { loadConfig } from '../../src/config/index.js';
import { BatchSizeMemory } from '../../src/embedding/batchSizeMemory.js';
import { createVllmEmbedder } from '../../src/embedding/vllm.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { RunProgress } from '../../src/queue/runProgress.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { jobOf, makeChunks, recordingLogger, stageBatch } from '../support/encodeJobs.js';
import { openAIError, startFakeOpenAIServer, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';
import { dropPrefix, REDIS_URL } from '../support/stack.js';

/**
 * encode.dense against a vLLM that misbehaves (the fake speaks vLLM's
 * protocol): a dead or restarting engine (5xx without an out-of-memory
 * message) is backed off and retried, never mistaken for an OOM; an OOM
 * halves the batch and is counted.
 */
describe('encode.dense when the vLLM engine fails', () => {
  const prefix = `citest-engine-${randomBytes(4).toString('hex')}`;
  let dir: string;
  let redis: Redis;
  let artifacts: ArtifactStore;
  let fake: FakeOpenAIServer;
  let runs = 0;

  beforeAll(async () => {
    dir = await makeTmpDir('codeintel-engine-');
    redis = new Redis(REDIS_URL);
    artifacts = createDirectoryArtifactStore(path.join(dir, 'artifacts'));
    fake = await startFakeOpenAIServer({ dim: 8 });
  });
  afterEach(() => {
    fake.reset();
    fake.healthStatus = 200;
    fake.embeddings.oomAboveBatch = undefined;
    fake.embeddings.oomStatus = 413;
  });
  afterAll(async () => {
    await fake?.close();
    redis.disconnect();
    await dropPrefix(prefix);
    await removeDir(dir);
  });

  const engineDead = { status: 500, body: openAIError('EngineCore encountered an issue. See stack trace for the root cause.', 'InternalServerError', 500) };

  /** A processor over the real vLLM client; sleeps are recorded instead of waited. */
  function setup(maxBatch = 16) {
    const sleeps: number[] = [];
    const config = loadConfig({ VLLM_URL: fake.baseUrl, VLLM_MODEL: fake.embeddings.model, VLLM_MAX_RETRIES: '3', VLLM_RETRY_BACKOFF_MS: '100' });
    const { logger, records } = recordingLogger();
    const embedder = createVllmEmbedder(config.vllm, {
      logger,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5, // jitter factor exactly 1
      loadTokenizer: async () => ({ encode: (t: string) => t.split(/\s+/).map((_, i) => i), decode: () => '' }) as never,
    });
    const metrics: Metrics = createMetrics({ defaultMetrics: false });
    const runId = `run-${++runs}`;
    const memoryKey = BatchSizeMemory.key(prefix, 'test-host', 0, fake.embeddings.model);
    const processor = createEncodeDenseProcessor({
      embedder: async () => embedder,
      artifacts,
      progress: new RunProgress(redis, prefix),
      batchMemory: () => new BatchSizeMemory(redis, memoryKey, maxBatch),
      logger,
      metrics: metrics.encode,
    });
    const ooms = async () => (await metrics.gpuOomTotal.get()).values.reduce((n, v) => n + v.value, 0);
    return { processor, sleeps, ooms, records, runId, memoryKey, close: () => embedder.close() };
  }

  it('retries a dead-engine 5xx with growing backoff and completes, without halving or counting an OOM', async () => {
    const s = setup();
    try {
      fake.fault({ ...engineDead, times: 2 });
      await stageBatch(artifacts, s.runId, 0, makeChunks(12));
      const result = await s.processor(jobOf({ runId: s.runId, repo: 'r', batchIndex: 0 }));
      expect(result).toMatchObject({ count: 12, batchSizeUsed: 16 });
      expect(s.sleeps).toEqual([100, 200]);
      // every request carried the whole batch: the 5xx never shrank it
      expect(fake.embeddingInputs().map((i) => i.length)).toEqual([12, 12, 12]);
      expect(await s.ooms()).toBe(0);
      expect(await redis.get(s.memoryKey)).toBeNull();
      expect(s.records.filter((r) => r.msg === 'vLLM embeddings call failed; retrying').map((r) => r.delayMs)).toEqual([100, 200]);
    } finally {
      await s.close();
    }
  });

  it('when the engine stays dead, fails the job as retryable (BullMQ backs off) with what /health answers', async () => {
    const s = setup();
    try {
      fake.fault({ ...engineDead, times: 10 });
      fake.healthStatus = 503;
      await stageBatch(artifacts, s.runId, 0, makeChunks(5));
      const err = await s.processor(jobOf({ runId: s.runId, repo: 'r', batchIndex: 0 })).catch((e) => e);
      expect(err).not.toBeInstanceOf(UnrecoverableError);
      expect(err.name).toBe('EmbedderUnavailableError');
      expect(err.message).toContain(`vLLM embeddings at ${fake.baseUrl}/embeddings unavailable after 4 attempt(s): HTTP 500: EngineCore encountered an issue`);
      expect(err.message).toContain('health check fails (HTTP 503: engine dead)');
      expect(s.sleeps).toEqual([100, 200, 400]);
      expect(fake.requestsTo('/health')).toHaveLength(1);
      expect(await s.ooms()).toBe(0);
      expect(s.records.find((r) => r.msg === 'embedding engine unavailable; the job will be retried with backoff')).toBeDefined();
      expect(await artifacts.has(artifactKeys.dense(s.runId, 0))).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('in contrast, a 5xx that says "CUDA out of memory" halves the batch at once (no backoff) and is counted', async () => {
    const s = setup();
    try {
      fake.embeddings.oomAboveBatch = 4;
      fake.embeddings.oomStatus = 500;
      await stageBatch(artifacts, s.runId, 0, makeChunks(12));
      const result = await s.processor(jobOf({ runId: s.runId, repo: 'r', batchIndex: 0 }));
      expect(result).toMatchObject({ count: 12, batchSizeUsed: 3 });
      expect(fake.embeddingInputs().map((i) => i.length)).toEqual([12, 6, 3, 3, 3, 3]);
      expect(s.sleeps).toEqual([]);
      expect(await s.ooms()).toBe(2);
      expect(s.records.filter((r) => r.msg === 'out of memory: halving the batch').map((r) => [r.from, r.to])).toEqual([
        [12, 6],
        [6, 3],
      ]);
      expect(await redis.get(s.memoryKey)).toBe('3');
    } finally {
      await s.close();
    }
  });

  it('a single chunk that still runs out of memory fails the job for good, naming the chunk', async () => {
    const s = setup();
    try {
      fake.embeddings.oomAboveBatch = 0;
      const chunks = makeChunks(2);
      await stageBatch(artifacts, s.runId, 0, chunks);
      const err = await s.processor(jobOf({ runId: s.runId, repo: 'r', batchIndex: 0 })).catch((e) => e);
      expect(err).toBeInstanceOf(UnrecoverableError);
      expect(err.message).toContain(`out of memory even for a single input (chunk ${chunks[0].id} mod/file_0.py:1-2)`);
    } finally {
      await s.close();
    }
  });
});
