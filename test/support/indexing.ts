import { expect } from 'vitest';
import type { FaissCompactResult } from '../../src/contracts/results.js';
import { liveChunkIds } from '../../src/manifest/manifest.js';
import type { EncodedBatch, Sink } from '../../src/sinks/port.js';
import { postJson, waitForIndexJob, type TestStack } from './stack.js';

/** Submit an index run over HTTP and wait for it; fails the test if it does not complete. */
export async function indexRepo(stack: TestStack, body: { repo: string; name: string; full?: boolean }, timeoutMs = 120_000) {
  const submit = await postJson(`${stack.url}/v1/index-jobs`, body);
  expect(submit.status, JSON.stringify(submit.body)).toBe(202);
  const done = await waitForIndexJob(stack.url, submit.body.jobId, timeoutMs);
  expect(done.state, JSON.stringify(done.error)).toBe('completed');
  return done.result as {
    manifestVersion: number;
    added: number;
    changed: number;
    deleted: number;
    unchanged: number;
    chunks: number;
    note?: string;
    sinks: Record<string, { status: string; detail?: string }>;
  };
}

/** Queue a compaction over HTTP and wait for its result. */
export async function compactRepo(stack: TestStack, name: string, timeoutMs = 120_000) {
  const res = await postJson(`${stack.url}/v1/repos/${name}/compact`, {});
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${stack.url}/v1/compact-jobs/${res.body.jobId}`)).json()) as { state: string; result?: FaissCompactResult; error?: unknown };
    if (body.state === 'completed') return body.result!;
    if (body.state === 'failed') throw new Error(`compaction failed: ${JSON.stringify(body.error)}`);
    if (Date.now() > deadline) throw new Error(`compaction ${res.body.jobId} still ${body.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function search(stack: TestStack, repo: string, query: string, k = 10) {
  const res = await postJson(`${stack.url}/v1/search`, { repo, query, k });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as {
    manifestVersion: number;
    hits: { chunkId: string; path: string; startLine: number; endLine: number; channels: Record<string, number>; score: number }[];
    dropped?: unknown[];
  };
}

export async function liveIds(stack: TestStack, repo: string): Promise<Set<string>> {
  const m = await stack.server.runtime.manifests.current(repo);
  if (!m) throw new Error(`repo ${repo} has no version`);
  return liveChunkIds(m);
}

/**
 * Stands in for an optional production sink (Neo4j, OpenSearch: no server
 * runs here): keeps the chunk ids each repo holds, as the real index would.
 */
export function createRecordingSink(name = 'recording'): Sink & { held(repo: string): Set<string> } {
  const byRepo = new Map<string, Set<string>>();
  const of = (repo: string) => byRepo.get(repo) ?? byRepo.set(repo, new Set()).get(repo)!;
  return {
    name,
    async init() {},
    async writeBatch(batch: EncodedBatch) {
      for (const c of batch.chunks) of(batch.repo).add(c.id);
      return { written: batch.chunks.length };
    },
    async deleteChunks(repo: string, ids: string[]) {
      for (const id of ids) of(repo).delete(id);
    },
    async health() {
      return { ok: true };
    },
    async close() {},
    held: (repo: string) => new Set(of(repo)),
  };
}
