import { appendFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { embeddingContractKey } from '../../src/embedding/contractRegistry.js';
import { makeTmpDir, removeDir, SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { indexRepo, search } from '../support/indexing.js';
import { postJson, REDIS_URL, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

/**
 * The embedding contract across a model change: readiness compares the
 * embedder's dimension with the FAISS and Parquet files of every repo, the
 * old version keeps serving until a rebuild commits, and a run never mixes
 * two models in one index.
 */
describe('embedding contract and model changes (same data dir, new embedder)', () => {
  let dataDir: string;
  let repo: string;
  let stack: TestStack | undefined;
  const redis = new Redis(REDIS_URL);

  beforeAll(async () => {
    dataDir = await makeTmpDir('codeintel-contract-');
    repo = await makeTmpDir('codeintel-contract-repo-');
    await cp(SAMPLE_REPO, repo, { recursive: true });
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  afterAll(async () => {
    redis.disconnect();
    await removeDir(dataDir);
    await removeDir(repo);
  });

  const start = (dim: number) => startStack({ env: { DATA_DIR: dataDir, EMBEDDING_DIM: String(dim), FAISS_COMPACT_FRACTION: '0' } });
  const readyz = async (s: TestStack) => {
    const res = await fetch(`${s.url}/readyz`);
    return { status: res.status, body: (await res.json()) as { mode: string; checks: Record<string, { ok: boolean; detail?: string }>; problem?: { detail: string } } };
  };
  /** The GPU role publishes its contract as it starts; wait for it. */
  const published = async (s: TestStack) => {
    for (let i = 0; i < 100; i++) {
      const raw = await redis.get(embeddingContractKey(s.prefix));
      if (raw) return JSON.parse(raw) as { model: string; dim: number };
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the GPU role never published its embedding contract');
  };

  it('is ready when the embedder, the FAISS index and the Parquet parts agree', async () => {
    stack = await start(384);
    await indexRepo(stack, { repo, name: 'contract' });
    const { status, body } = await readyz(stack);
    expect(status).toBe(200);
    expect(body.checks.embedding_contract).toMatchObject({ ok: true, required: true, embedderDim: 384 });
  });

  it('answers /readyz down, naming the three numbers, when the embedder changed dimension; the old version still serves', async () => {
    stack = await start(256);
    const { status, body } = await readyz(stack);
    expect(status).toBe(503);
    expect(body.mode).toBe('down');
    expect(body.checks.embedding_contract.ok).toBe(false);
    expect(body.problem!.detail).toMatch(/repo contract v1: the embedder gives 256-d vectors, the FAISS index holds 384-d \(faiss\/primary-v1\.index\), the Parquet embedding column is FLOAT\[384\]/);
    // keyword search still answers from version 1; the dense channel says why it cannot
    const res = await postJson(`${stack.url}/v1/search`, { repo: 'contract', query: 'compute interest', k: 5, channels: ['bm25', 'dense'] });
    expect(res.status).toBe(200);
    expect(res.body.manifestVersion).toBe(1);
    expect(res.body.hits.map((h: { path: string }) => h.path)).toContain('bank/account.py');
    expect(res.body.dropped).toEqual([expect.objectContaining({ channel: 'dense', reason: expect.stringMatching(/256-d .* 384-d/) })]);
  });

  it('rebuilds in full on its own when the GPU workers serve a new model, then is ready again', async () => {
    stack = await start(256);
    expect(await published(stack)).toMatchObject({ dim: 256 });
    const run = await indexRepo(stack, { repo, name: 'contract' });
    expect(run).toMatchObject({ manifestVersion: 2, added: 5, note: expect.stringMatching(/embedding model changed .*384-d.* to .*256-d.*full rebuild/) });
    const m = (await stack.server.runtime.manifests.current('contract'))!;
    expect(m.embedding.dim).toBe(256);
    expect(m.vectors).toMatchObject({ primary: { dim: 256 }, secondary: null });
    expect(m.deletedChunkIds).toEqual([]);
    expect((await readyz(stack)).body.checks.embedding_contract).toMatchObject({ ok: true, embedderDim: 256 });
    const res = await search(stack, 'contract', 'compute interest on a bank account balance');
    expect(res.dropped).toBeUndefined();
    expect(res.hits[0].path).toBe('bank/account.py');
  });

  it('without a published contract, fails an incremental run clearly instead of mixing models; full: true rebuilds', async () => {
    stack = await start(64);
    await published(stack);
    await redis.del(embeddingContractKey(stack.prefix));
    await appendFile(path.join(repo, 'README.md'), '\nOne more line to embed.\n');
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo, name: 'contract' });
    const failed = await waitForIndexJob(stack.url, submit.body.jobId);
    expect(failed.state).toBe('failed');
    expect(failed.error!.detail).toMatch(/embedding model changed from hashing-lexical-v1 \(256-d\) to hashing-lexical-v1 \(64-d\); re-run with full: true/);
    expect(await stack.server.runtime.manifests.currentVersion('contract')).toBe(2);
    expect((await readyz(stack)).body.mode).toBe('down');
    const full = await indexRepo(stack, { repo, name: 'contract', full: true });
    expect(full.manifestVersion).toBe(3);
    expect((await stack.server.runtime.manifests.current('contract'))!.embedding.dim).toBe(64);
    expect((await readyz(stack)).body.checks.embedding_contract.ok).toBe(true);
  });
});
