import os from 'node:os';
import path from 'node:path';
import { promises as fs } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDb, type DuckDb } from '../../src/catalog/duckdb.js';
import { BatchSizeMemory } from '../../src/embedding/batchSizeMemory.js';
import { makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';
import { countChunkRows } from '../support/parquetRows.js';
import { postJson, REDIS_URL, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

/**
 * Out-of-memory batch halving through the real queue: index.run → sink.batch
 * {encode.dense} on BullMQ, with vLLM played by the fake OpenAI server, which
 * answers 413 to any batch above 8 inputs (what vLLM does when a batch does
 * not fit). 64 chunks in two batches of 32, safe size starting at 32.
 */
describe('OOM batch halving through the queue (fake vLLM: 413 above 8 inputs)', () => {
  const FILES = 64;
  let fake: FakeOpenAIServer;
  let repo: string;
  let stack: TestStack;
  let db: DuckDb;
  let redis: Redis;
  let result: Awaited<ReturnType<typeof waitForIndexJob>>;

  beforeAll(async () => {
    fake = await startFakeOpenAIServer({ dim: 16, oomAboveBatch: 8, oomStatus: 413 });
    repo = await makeTmpDir('codeintel-oom-repo-');
    const files: Record<string, string> = {};
    for (let i = 0; i < FILES; i++) files[`pkg/handler_${i}.py`] = `def handler_${i}(request):\n    return request.user.id * ${i}\n`;
    await writeTree(repo, files);
    stack = await startStack({
      env: {
        EMBEDDER: 'vllm',
        VLLM_URL: fake.baseUrl,
        VLLM_MODEL: fake.embeddings.model,
        VLLM_BATCH_SIZE: '32',
        VLLM_RETRY_BACKOFF_MS: '10',
        BATCH_SIZE: '32',
        // one job at a time, so the second batch can only start after the first has learned the safe size
        GPU_CONCURRENCY: '1',
      },
    });
    db = await createDuckDb({ threads: 1 });
    redis = new Redis(REDIS_URL);
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo, name: 'oom' });
    expect(submit.status).toBe(202);
    result = await waitForIndexJob(stack.url, submit.body.jobId, 90_000);
  });
  afterAll(async () => {
    redis?.disconnect();
    await db?.close();
    await stack?.close();
    await fake?.close();
    await removeDir(repo);
  });

  it('completes the run: the halving happened inside the jobs', () => {
    expect(result.state, JSON.stringify(result.error)).toBe('completed');
    expect(result.result!.chunks).toBe(FILES);
  });

  it('halved 32 → 16 → 8 once, and the other batch started at the learned size (only two 413s in all)', () => {
    const sizes = fake.embeddingInputs().map((i) => i.length);
    expect(sizes.filter((n) => n > 8).sort((a, b) => b - a)).toEqual([32, 16]);
    expect(sizes.filter((n) => n <= 8)).toEqual(new Array(FILES / 8).fill(8));
  });

  it('keeps the learned safe size in Redis under the {host, gpu, model} key', async () => {
    const key = BatchSizeMemory.key(stack.prefix, os.hostname(), -1, fake.embeddings.model);
    expect(await redis.get(key)).toBe('8');
  });

  it('writes each chunk exactly once to Parquet and to FAISS', async () => {
    const repoDir = path.join(stack.dataDir, 'repos', 'oom');
    const counts = await countChunkRows(db, path.join(repoDir, 'parts'));
    expect(counts).toEqual({ rows: FILES, distinct: FILES, duplicates: [] });
    const ids = JSON.parse(await fs.readFile(path.join(repoDir, 'faiss', 'primary-v1.ids.json'), 'utf8')) as string[];
    expect(ids).toHaveLength(FILES);
    expect(new Set(ids).size).toBe(FILES);
  });

  it('counts each halving once in gpu_oom_total and reports vLLM up on /metrics', async () => {
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/^gpu_oom_total\{kind="dense"\} 2$/m);
    expect(metrics).toContain(`vllm_up{endpoint="${fake.origin}/health"} 1`);
    // this machine has no nvidia-smi: the gpu role says no GPU is visible
    expect(metrics).toMatch(/^gpu_visible\{device="all",required="false"\} 0$/m);
  });
});
