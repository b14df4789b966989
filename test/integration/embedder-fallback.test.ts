import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactKeys } from '../../src/contracts/artifacts.js';
import { createEncodeDenseProcessor } from '../../jobs/encodeDense.js';
import { createDirectoryArtifactStore, type ArtifactStore } from '../../src/artifacts/store.js';
import { loadConfig } from '../../src/config/index.js';
import { BatchSizeMemory } from '../../src/embedding/batchSizeMemory.js';
import { chooseEmbedder, createEmbedder } from '../../src/embedding/factory.js';
import { silentLogger } from '../../src/observability/logger.js';
import { RunProgress } from '../../src/queue/runProgress.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { jobOf, makeChunks, recordingLogger, stageBatch } from '../support/encodeJobs.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';
import { writeTinyEmbeddingModel } from '../support/onnxModels.js';
import { dropPrefix, REDIS_URL } from '../support/stack.js';

/** A URL nothing listens on: what a crashed vLLM looks like to a client. */
async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/v1`;
}

describe('choosing the dense embedder, and falling back from vLLM to the in-process ONNX model', () => {
  let dir: string;
  let modelDir: string;
  let vllmDown: string;
  let fake: FakeOpenAIServer;
  const MODEL_ID = 'codeintel-test/fallback-embed-6d';
  /** retries kept short: these tests are about where the vectors come from, not about backoff */
  const fast = { VLLM_MAX_RETRIES: '1', VLLM_RETRY_BACKOFF_MS: '1', VLLM_TIMEOUT_S: '2' };

  beforeAll(async () => {
    dir = await makeTmpDir('codeintel-fallback-');
    modelDir = path.join(dir, 'embed');
    await writeTinyEmbeddingModel(modelDir, { hidden: 6, modelId: MODEL_ID });
    vllmDown = await deadUrl();
    fake = await startFakeOpenAIServer({ dim: 8 });
  });
  afterAll(async () => {
    await fake?.close();
    await removeDir(dir);
  });

  it('EMBEDDER=onnx runs the model from EMBEDDING_MODEL_DIR in process', async () => {
    const config = loadConfig({ EMBEDDER: 'onnx', EMBEDDING_MODEL_DIR: modelDir });
    expect(chooseEmbedder(config)).toBe('onnx');
    const embedder = await createEmbedder(config, silentLogger());
    try {
      expect(embedder.contract).toMatchObject({ provider: 'onnx', model: MODEL_ID, dim: 6 });
      const [v] = await embedder.embedDocuments(['def get_user(id): return id']);
      expect(v).toHaveLength(6);
    } finally {
      await embedder.close();
    }
  });

  it('uses vLLM while it answers, even with the fallback allowed', async () => {
    const config = loadConfig({ VLLM_URL: fake.baseUrl, VLLM_ALLOW_INPROCESS_FALLBACK: '1', EMBEDDING_MODEL_DIR: modelDir, ...fast });
    const embedder = await createEmbedder(config, silentLogger());
    try {
      const [v] = await embedder.embedDocuments(['def get_user(id): return id']);
      expect(v).toHaveLength(8);
      expect(embedder.contract.provider).toBe('vllm');
    } finally {
      await embedder.close();
    }
  });

  it('with VLLM_ALLOW_INPROCESS_FALLBACK and vLLM down, embeds with the ONNX model and says so', async () => {
    const config = loadConfig({ VLLM_URL: vllmDown, VLLM_ALLOW_INPROCESS_FALLBACK: '1', EMBEDDING_MODEL_DIR: modelDir, ...fast });
    const { logger, records } = recordingLogger();
    const embedder = await createEmbedder(config, logger);
    try {
      const vectors = await embedder.embedDocuments(['def get_user(id): return id', 'class Account: pass']);
      expect(vectors.map((v) => v.length)).toEqual([6, 6]);
      expect(embedder.contract).toMatchObject({ provider: 'onnx', model: MODEL_ID });
      expect(records.find((r) => r.msg === 'vLLM unavailable: embedding in process instead')).toMatchObject({
        err: expect.objectContaining({ name: "EmbeddingError", message: expect.stringContaining(`vLLM embeddings at ${vllmDown}/embeddings unavailable`), stack: expect.any(String) }),
      });
      expect((await embedder.health()).detail).toContain('in-process fallback in use');
    } finally {
      await embedder.close();
    }
  });

  it('with REQUIRE_GPU=1 never falls back: the call fails naming vLLM, and the setting is reported as unused', async () => {
    const config = loadConfig({
      VLLM_URL: vllmDown,
      VLLM_ALLOW_INPROCESS_FALLBACK: '1',
      EMBEDDING_MODEL_DIR: modelDir,
      REQUIRE_GPU: '1',
      ...fast,
    });
    const { logger, records } = recordingLogger();
    const embedder = await createEmbedder(config, logger);
    try {
      expect(records.some((r) => String(r.msg).includes('never used with REQUIRE_GPU=1'))).toBe(true);
      const err = await embedder.embedDocuments(['def f(): pass']).catch((e) => e);
      expect(err.name).toBe('EmbeddingError');
      expect(err.message).toContain(`vLLM embeddings at ${vllmDown}/embeddings unavailable after 2 attempt(s)`);
      expect(embedder.contract.provider).toBe('vllm');
    } finally {
      await embedder.close();
    }
  });

  it('with REQUIRE_GPU=1 and EMBEDDER=onnx, the model must open on CUDA: no quiet CPU run', async () => {
    const config = loadConfig({ EMBEDDER: 'onnx', EMBEDDING_MODEL_DIR: modelDir, REQUIRE_GPU: '1' });
    await expect(createEmbedder(config, silentLogger())).rejects.toThrow(/on CUDA device 0/);
  });

  describe('through the encode.dense processor', () => {
    const prefix = `citest-fallback-${randomBytes(4).toString('hex')}`;
    let redis: Redis;
    let artifacts: ArtifactStore;
    beforeAll(async () => {
      redis = new Redis(REDIS_URL);
      artifacts = createDirectoryArtifactStore(path.join(dir, 'artifacts'));
    });
    afterAll(async () => {
      redis.disconnect();
      await dropPrefix(prefix);
    });

    const processorFor = (env: Record<string, string>) => {
      const config = loadConfig({ VLLM_URL: vllmDown, VLLM_ALLOW_INPROCESS_FALLBACK: '1', EMBEDDING_MODEL_DIR: modelDir, ...fast, ...env });
      const embedder = createEmbedder(config, silentLogger());
      const processor = createEncodeDenseProcessor({
        embedder: () => embedder,
        artifacts,
        progress: new RunProgress(redis, prefix),
        batchMemory: (model) => new BatchSizeMemory(redis, BatchSizeMemory.key(prefix, 'test-host', -1, model), 16),
        logger: silentLogger(),
      });
      return { processor, close: async () => (await embedder).close() };
    };

    it('REQUIRE_GPU=1 + vLLM down: the job fails with a message naming vLLM and its health check; nothing is staged', async () => {
      const { processor, close } = processorFor({ REQUIRE_GPU: '1' });
      try {
        await stageBatch(artifacts, 'run-gpu', 0, makeChunks(3));
        const err = await processor(jobOf({ runId: 'run-gpu', repo: 'r', batchIndex: 0 })).catch((e) => e);
        expect(err).not.toBeInstanceOf(UnrecoverableError); // BullMQ retries it later with backoff
        expect(err.name).toBe('EmbedderUnavailableError');
        expect(err.message).toContain(`vLLM embeddings at ${vllmDown}/embeddings unavailable`);
        expect(err.message).toMatch(/health check fails \(.*\/health: .*ECONNREFUSED/);
        expect(await artifacts.has(artifactKeys.dense('run-gpu', 0))).toBe(false);
      } finally {
        await close();
      }
    });

    it('fallback allowed + vLLM down: the job completes with ONNX vectors and records the ONNX contract', async () => {
      const { processor, close } = processorFor({});
      try {
        await stageBatch(artifacts, 'run-cpu', 0, makeChunks(3));
        const result = await processor(jobOf({ runId: 'run-cpu', repo: 'r', batchIndex: 0 }));
        expect(result).toMatchObject({ count: 3, provider: 'onnx', model: MODEL_ID, dim: 6 });
        const vectors = await artifacts.getVectors(artifactKeys.dense('run-cpu', 0));
        expect(vectors.map((v) => v.length)).toEqual([6, 6, 6]);
      } finally {
        await close();
      }
    });
  });
});
