import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { postJson, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

describe('index flow on embedded defaults (real Redis, BullMQ, DuckDB, FAISS, in one process)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('indexes the sample repo through the queue and commits a manifest', async () => {
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo: SAMPLE_REPO, name: 'sample' });
    expect(submit.status).toBe(202);
    expect(submit.body).toMatchObject({ repo: 'sample', statusUrl: `/v1/index-jobs/${submit.body.jobId}` });

    const done = await waitForIndexJob(stack.url, submit.body.jobId);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    expect(done.result).toMatchObject({ manifestVersion: 1, files: 5, added: 5, changed: 0, deleted: 0 });
    expect(done.result!.chunks).toBeGreaterThan(5);
    expect(done.progress.phase).toBe('done');
    expect(done.progress.chunks.written).toBe(done.result!.chunks);

    const repos = await (await fetch(`${stack.url}/v1/repos`)).json();
    expect(repos).toEqual([
      expect.objectContaining({ name: 'sample', manifestVersion: 1, files: 5, chunks: done.result!.chunks, embedding: expect.objectContaining({ model: 'hashing-lexical-v1', dim: 384 }) }),
    ]);

    // one Parquet part per batch, a FAISS file, no staged artifacts left behind
    const repoDir = path.join(stack.dataDir, 'repos', 'sample');
    const parts = await fs.readdir(path.join(repoDir, 'parts'));
    expect(parts.filter((p) => p.endsWith('.parquet'))).toHaveLength(1);
    expect(parts.some((p) => p.includes('.tmp'))).toBe(false);
    expect(await fs.readdir(path.join(repoDir, 'faiss'))).toEqual(expect.arrayContaining(['primary-v1.index', 'primary-v1.ids.json']));
    const artifacts = await fs.readdir(path.join(stack.dataDir, 'artifacts', 'runs')).catch(() => []);
    expect(artifacts).toEqual([]);
  });

  it('finds the right lines for a query, through dense and BM25 fused with RRF', async () => {
    const res = await postJson(`${stack.url}/v1/search`, {
      repo: 'sample',
      query: 'compute interest on a bank account balance',
      k: 5,
      channels: ['dense', 'bm25'],
    });
    expect(res.status).toBe(200);
    const top = res.body.hits[0];
    expect(top.path).toBe('bank/account.py');
    const source = (await fs.readFile(path.join(SAMPLE_REPO, 'bank/account.py'), 'utf8')).split('\n');
    const lines = source.slice(top.startLine - 1, top.endLine).join('\n');
    expect(lines).toContain('def compute_interest');
    // the preview starts at the best-matching line, the definition line here
    expect(top.bestLine.text).toContain('def compute_interest');
    const from = top.bestLine.line - top.startLine;
    expect(top.preview).toBe(lines.split('\n').slice(from, from + 12).join('\n'));
    expect(top).toMatchObject({ symbol: expect.stringContaining('compute_interest'), role: 'source' });
    expect(top.scoreParts.channels.bm25).toMatchObject({ rank: expect.any(Number), weight: 1 });
    expect(top.previewStartLine).toBe(top.bestLine.line);
    expect(Object.keys(top.channels).sort()).toEqual(['bm25', 'dense']);
    expect(res.body.timingsMs).toHaveProperty('total');
  });

  it('selects roles with filters.roles, and ranks docs below source without it', async () => {
    const docsOnly = await postJson(`${stack.url}/v1/search`, { repo: 'sample', query: 'interest', k: 5, filters: { roles: ['docs'] } });
    expect(docsOnly.status).toBe(200);
    expect(docsOnly.body.hits.length).toBeGreaterThan(0);
    expect(docsOnly.body.hits.every((h: { path: string; role: string }) => h.role === 'docs' && h.path === 'README.md')).toBe(true);
    const all = await postJson(`${stack.url}/v1/search`, { repo: 'sample', query: 'interest', k: 5 });
    expect(all.body.hits[0]).toMatchObject({ path: 'bank/account.py', role: 'source' });
    const readme = all.body.hits.find((h: { path: string }) => h.path === 'README.md');
    expect(readme.scoreParts.rolePrior).toBeLessThan(1);
  });

  it('leaves the lexical hashing embedder out of the default search (its fusion weight is 0)', async () => {
    const res = await postJson(`${stack.url}/v1/search`, { repo: 'sample', query: 'compute interest on a bank account balance', k: 5 });
    expect(res.status).toBe(200);
    expect(res.body.hits[0].path).toBe('bank/account.py');
    expect(Object.keys(res.body.hits[0].channels)).toEqual(['bm25']);
    expect(res.body.timingsMs).not.toHaveProperty('embed_query');
  });

  it('answers a second run of the same repo while one is active with 409 and the running job id', async () => {
    const first = await postJson(`${stack.url}/v1/index-jobs`, { repo: SAMPLE_REPO, name: 'sample', full: true });
    const second = await postJson(`${stack.url}/v1/index-jobs`, { repo: SAMPLE_REPO, name: 'sample' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(409);
    expect(second.contentType).toContain('application/problem+json');
    expect(second.body).toMatchObject({ status: 409, jobId: first.body.jobId });
    const done = await waitForIndexJob(stack.url, first.body.jobId);
    expect(done.state).toBe('completed');
    expect(done.result!.manifestVersion).toBe(2);
  });

  it('re-indexing with nothing changed commits quickly and says so', async () => {
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo: SAMPLE_REPO, name: 'sample' });
    const done = await waitForIndexJob(stack.url, submit.body.jobId);
    expect(done.state).toBe('completed');
    expect(done.result).toMatchObject({ added: 0, changed: 0, deleted: 0, unchanged: 5, note: 'nothing changed since the previous version' });
  });
});
