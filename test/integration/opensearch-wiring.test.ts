import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Readiness } from '../../src/observability/readiness.js';
import { makeTmpDir, removeDir, SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { startFakeOpenSearch, type FakeOpenSearch } from '../support/fakeOpenSearch.js';
import { postJson, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

/**
 * OPENSEARCH_URL switches on the OpenSearch sink and moves the bm25 channel
 * to OpenSearch, with the local DuckDB index as the fallback. The server is a
 * protocol-level fake (no OpenSearch can run here); the client is the real one.
 */
describe('OpenSearch wiring: sink writes, bm25 served by OpenSearch, local fallback', () => {
  let stack: TestStack;
  let fake: FakeOpenSearch;
  let repoDir: string;
  const index = 'codeintel-chunks';
  const search = (query: string) => postJson(`${stack.url}/v1/search`, { repo: 'sample', query, k: 5, channels: ['bm25'] });

  beforeAll(async () => {
    fake = await startFakeOpenSearch();
    repoDir = await makeTmpDir('codeintel-os-repo-');
    await fs.cp(SAMPLE_REPO, repoDir, { recursive: true });
    stack = await startStack({ env: { OPENSEARCH_URL: fake.url, OPENSEARCH_INDEX: index } });
  });
  afterAll(async () => {
    await stack?.close();
    await fake?.close();
    if (repoDir) await removeDir(repoDir);
  });

  it('indexes every chunk into OpenSearch with _id = repo:chunkId, after creating the index with its mapping', async () => {
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo: repoDir, name: 'sample' });
    const done = await waitForIndexJob(stack.url, submit.body.jobId);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    expect(done.result!.sinks).toEqual({ parquet: { status: 'ok' }, opensearch: { status: 'ok' } });

    const idx = fake.indices.get(index)!;
    expect(idx.body.mappings?.properties?.splade_terms).toEqual({ type: 'rank_features' });
    expect(idx.docs.size).toBe(done.result!.chunks);
    const manifest = await stack.server.runtime.manifests.current('sample');
    const live = Object.values(manifest!.files).flatMap((f) => f.chunkIds);
    expect([...idx.docs.keys()].sort()).toEqual(live.map((id) => `sample:${id}`).sort());
  });

  it('serves the bm25 channel from OpenSearch', async () => {
    const before = fake.requests.length;
    const res = await search('compute interest on a bank account balance');
    expect(res.status).toBe(200);
    expect(res.body.hits[0].path).toBe('bank/account.py');
    expect(res.body.hits[0].channels).toHaveProperty('bm25');
    expect(res.body.fallbacks).toBeUndefined();
    const sent = fake.requests.slice(before).filter((r) => r.path === `/${index}/_search`);
    expect(sent).toHaveLength(1);
    expect(sent[0].body.query.bool.must[0].multi_match.query).toBe('compute interest on a bank account balance');
    expect(sent[0].body.query.bool.filter).toContainEqual({ term: { repo: 'sample' } });
  });

  it('falls back to the local index when OpenSearch fails, and says so', async () => {
    fake.fail({ path: /\/_search$/, status: 500, times: 20 });
    const res = await search('compute interest on a bank account balance');
    expect(res.status).toBe(200);
    expect(res.body.hits[0].path).toBe('bank/account.py');
    expect(res.body.hits[0].channels).toHaveProperty('bm25');
    expect(res.body.fallbacks).toEqual([expect.objectContaining({ channel: 'bm25', engine: 'opensearch' })]);
    fake.clearFaults();
  });

  it('deletes a removed file’s chunks from OpenSearch, and never returns a stale one it still holds', async () => {
    const manifest = await stack.server.runtime.manifests.current('sample');
    const removed = manifest!.files['src/rateLimiter.ts'].chunkIds;
    const idx = fake.indices.get(index)!;
    const staleDocs = removed.map((id) => idx.docs.get(`sample:${id}`)!);

    await fs.rm(path.join(repoDir, 'src/rateLimiter.ts'));
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo: repoDir, name: 'sample' });
    const done = await waitForIndexJob(stack.url, submit.body.jobId);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    expect(done.result!.sinks.opensearch).toEqual({ status: 'ok' });
    for (const id of removed) expect(idx.docs.has(`sample:${id}`)).toBe(false);

    // as if a delete had been lost: the docs come back, the manifest still says deleted
    for (const d of staleDocs) idx.docs.set(d._id, d);
    const service = await stack.server.runtime.search();
    const before = fake.requests.length;
    const res = await service.search({ repo: 'sample', query: 'RateLimiter tokens refill bucket', k: 5, channels: ['bm25'] });
    expect(res.fallbacks).toBeUndefined();
    // OpenSearch did answer with the stale chunks; the search service dropped them
    const answered = fake.requests.slice(before).find((r) => r.path === `/${index}/_search`)!.response!.hits.hits;
    expect(answered.map((h) => h._source.chunk_id)).toEqual(expect.arrayContaining(removed));
    expect(res.channelTopIds.bm25.length).toBeGreaterThan(0);
    for (const id of removed) expect(res.channelTopIds.bm25).not.toContain(id);
    expect(res.hits.map((h) => h.path)).not.toContain('src/rateLimiter.ts');
  });

  it('reports degraded on /readyz when the cluster is red', async () => {
    fake.health = 'red';
    const body = (await (await fetch(`${stack.url}/readyz`)).json()) as Readiness;
    fake.health = 'green';
    expect(body.mode).toBe('degraded');
    expect(body.checks['sink:opensearch']).toMatchObject({ ok: false, required: false, detail: expect.stringContaining('is red') });
  });

  it('`codeintel sinks resync` re-writes a lost index from Parquet, through the real client', async () => {
    const idx = fake.indices.get(index)!;
    const manifest = (await stack.server.runtime.manifests.current('sample'))!;
    const live = Object.values(manifest.files).flatMap((f) => f.chunkIds);
    idx.docs.clear(); // as if the cluster had lost the index's data

    const bin = path.resolve(import.meta.dirname, '../../bin/codeintel.mjs');
    const env = { ...process.env, DATA_DIR: stack.dataDir, REDIS_URL: stack.config.redis.url, REDIS_PREFIX: stack.prefix, OPENSEARCH_URL: fake.url, OPENSEARCH_INDEX: index, LOG_LEVEL: 'silent' };
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'sinks', 'resync', 'sample', '--batch', '4'], { env });
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ repo: 'sample', manifestVersion: manifest.version, chunks: live.length, missing: 0, sinks: { opensearch: { status: 'ok' } } });
    expect([...idx.docs.keys()].sort()).toEqual(live.map((id) => `sample:${id}`).sort());
    const doc = idx.docs.get(`sample:${live[0]}`)!._source;
    expect(doc).toMatchObject({ chunk_id: live[0], repo: 'sample', run_id: manifest.runId });
  });
});
