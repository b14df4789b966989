import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSpladeEncoder } from '../../src/sparse/splade.js';
import type { SparseEncoder } from '../../src/sparse/port.js';
import { createQueryExpansionCache } from '../../src/sparse/queryCache.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { writeTinySpladeModel } from '../support/onnxModels.js';
import { dropPrefix, postJson, REDIS_URL, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

describe('SPLADE query expansion cached in Redis (real model, real Redis)', () => {
  const prefix = `citest-spladeq-${randomBytes(4).toString('hex')}`;
  let dir: string;
  let redis: Redis;
  let encoder: SparseEncoder;
  let calls: string[];
  const counting = (): SparseEncoder => ({
    contract: encoder.contract,
    encodeDocuments: (t, s) => encoder.encodeDocuments(t, s),
    encodeQuery: async (text, signal) => {
      calls.push(text);
      return encoder.encodeQuery(text, signal);
    },
    close: async () => {},
  });

  beforeAll(async () => {
    dir = await makeTmpDir('codeintel-spladeq-');
    await writeTinySpladeModel(path.join(dir, 'splade'));
    encoder = await createSpladeEncoder({ modelDir: path.join(dir, 'splade'), modelId: 'test/splade', topK: 400, minWeight: 0.05, maxTokens: 64 });
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await encoder?.close();
    redis?.disconnect();
    await dropPrefix(prefix);
    await removeDir(dir);
  });

  it('expands a query once within the TTL; every process sharing Redis reuses it', async () => {
    calls = [];
    const wrapped = counting();
    const processA = createQueryExpansionCache({ redis, prefix, ttlS: 60, encoder: async () => wrapped });
    const processB = createQueryExpansionCache({ redis, prefix, ttlS: 60, encoder: async () => wrapped });
    const first = await processA('get user by id');
    expect(Object.keys(first).length).toBeGreaterThan(0);
    expect(await processB('get user by id')).toEqual(first);
    expect(calls).toEqual(['get user by id']);

    const keys = await redis.keys(`${prefix}:splade:q:*`);
    expect(keys).toHaveLength(1);
    const ttl = await redis.ttl(keys[0]);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);

    await processA('parse json config');
    expect(calls).toEqual(['get user by id', 'parse json config']);
  });

  it('recomputes once the entry has expired', async () => {
    calls = [];
    const expand = createQueryExpansionCache({ redis, prefix: `${prefix}-ttl`, ttlS: 1, encoder: async () => counting() });
    await expand('read file path');
    await redis.del(...(await redis.keys(`${prefix}-ttl:splade:q:*`))); // what expiry does after 1 s
    await expand('read file path');
    expect(calls).toEqual(['read file path', 'read file path']);
    await dropPrefix(`${prefix}-ttl`);
  });

  it('caches nothing with SPLADE_QUERY_CACHE_TTL_S=0', async () => {
    calls = [];
    const expand = createQueryExpansionCache({ redis, prefix: `${prefix}-off`, ttlS: 0, encoder: async () => counting() });
    await expand('save token');
    await expand('save token');
    expect(calls).toHaveLength(2);
    expect(await redis.keys(`${prefix}-off:*`)).toEqual([]);
  });
});

describe('no SPLADE model configured', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('readiness says the sparse channel is BM25 alone, without failing', async () => {
    const ready = (await (await fetch(`${stack.url}/readyz`)).json()) as { mode: string; checks: Record<string, Record<string, unknown>> };
    expect(ready.checks.splade).toMatchObject({ ok: true, required: false, configured: false });
    expect(ready.checks.splade.detail).toContain('the sparse channel is BM25 alone');
    expect(ready.mode).toBe('ready');
  });

  it('indexes without encode.sparse jobs, and a search that asks for splade says why it was dropped', async () => {
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo: SAMPLE_REPO, name: 'nosplade' });
    const done = await waitForIndexJob(stack.url, submit.body.jobId);
    expect(done.state).toBe('completed');
    expect(done.progress.chunks.expanded).toBe(0);
    const res = await postJson(`${stack.url}/v1/search`, { repo: 'nosplade', query: 'compute interest', channels: ['splade', 'bm25'], k: 3 });
    expect(res.status).toBe(200);
    expect(res.body.hits.length).toBeGreaterThan(0);
    expect(JSON.stringify(res.body)).toContain('no SPLADE model is configured');
  });
});
