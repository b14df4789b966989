import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveChunkIds } from '../../src/manifest/manifest.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Readiness } from '../../src/observability/readiness.js';
import type { EncodedBatch, Sink } from '../../src/sinks/port.js';
import { resyncSinks } from '../../src/sinks/resync.js';
import { makeTmpDir, removeDir, SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { postJson, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

/** A production sink whose server is down (until `state.up`): every write and delete throws, health says so. */
function downSink() {
  const calls = { init: 0, write: 0, delete: 0 };
  const state = { up: false };
  const written = new Map<string, Float32Array>();
  const deleted: string[] = [];
  const refuse = () => {
    if (!state.up) throw new Error('connect ECONNREFUSED 127.0.0.1:7687 (test sink is down)');
  };
  const sink: Sink = {
    name: 'graph-down',
    async init() {
      calls.init++;
    },
    async writeBatch(b: EncodedBatch) {
      calls.write++;
      refuse();
      b.chunks.forEach((c, i) => written.set(c.id, b.dense[i]));
      return { written: b.chunks.length };
    },
    async deleteChunks(_repo: string, ids: string[]) {
      calls.delete++;
      refuse();
      deleted.push(...ids);
    },
    async health() {
      return { ok: false, detail: 'bolt://127.0.0.1:7687: connection refused' };
    },
    async close() {},
  };
  return { sink, calls, state, written, deleted };
}

/** A healthy production sink that remembers what it was given. */
function recordingSink() {
  const batches: { runId: string; batchIndex: number; chunkIds: string[] }[] = [];
  const dense = new Map<string, Float32Array>();
  const deleted: string[] = [];
  const sink: Sink = {
    name: 'recorder',
    async init() {},
    async writeBatch(b: EncodedBatch) {
      batches.push({ runId: b.runId, batchIndex: b.batchIndex, chunkIds: b.chunks.map((c) => c.id) });
      b.chunks.forEach((c, i) => dense.set(c.id, b.dense[i]));
      return { written: b.chunks.length };
    },
    async deleteChunks(_repo: string, ids: string[]) {
      deleted.push(...ids);
    },
    async health() {
      return { ok: true, detail: 'recording' };
    },
    async close() {},
  };
  return { sink, batches, dense, deleted };
}

describe('an optional sink that is down (real Redis, BullMQ, DuckDB, FAISS, in one process)', () => {
  let stack: TestStack;
  let repoDir: string;
  const down = downSink();
  const recorder = recordingSink();

  beforeAll(async () => {
    repoDir = await makeTmpDir('codeintel-sinkfail-repo-');
    await fs.cp(SAMPLE_REPO, repoDir, { recursive: true });
    stack = await startStack({
      // two chunks per batch: the run has several batches, each written by its own sink.batch job
      env: { BATCH_SIZE: '2', SINK_RETRY_ATTEMPTS: '2', SINK_CIRCUIT_COOLDOWN_S: '0' },
      extraSinks: [down.sink, recorder.sink],
    });
  });
  afterAll(async () => {
    await stack?.close();
    if (repoDir) await removeDir(repoDir);
  });

  it('completes the run: Parquet and the healthy sink get every batch, the down sink is reported failed', async () => {
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo: repoDir, name: 'sample' });
    expect(submit.status).toBe(202);
    const done = await waitForIndexJob(stack.url, submit.body.jobId);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');

    const chunks: number = done.result!.chunks;
    const batches = Math.ceil(chunks / 2);
    expect(batches).toBeGreaterThan(2);

    // the run reports each sink's status
    expect(done.result!.sinks.parquet).toEqual({ status: 'ok' });
    expect(done.result!.sinks.recorder).toEqual({ status: 'ok' });
    expect(done.result!.sinks['graph-down']).toMatchObject({ status: 'failed', detail: expect.stringContaining('ECONNREFUSED') });

    // Parquet: one part per batch, all committed; the healthy sink saw every batch exactly once
    const parts = (await fs.readdir(path.join(stack.dataDir, 'repos', 'sample', 'parts'))).filter((p) => p.endsWith('.parquet'));
    expect(parts).toHaveLength(batches);
    expect(recorder.batches.map((b) => b.batchIndex).sort((a, b) => a - b)).toEqual([...Array(batches).keys()]);
    expect(recorder.batches.reduce((n, b) => n + b.chunkIds.length, 0)).toBe(chunks);

    // the down sink was tried on every batch, SINK_RETRY_ATTEMPTS times each (cooldown 0: no circuit)
    expect(down.calls.write).toBe(batches * 2);

    // search still answers from the committed index
    const res = await postJson(`${stack.url}/v1/search`, { repo: 'sample', query: 'compute interest on a bank account balance', k: 3 });
    expect(res.status).toBe(200);
    expect(res.body.hits[0].path).toBe('bank/account.py');
  });

  it('records every given-up write in the Redis failure stream, with repo, run and batch', async () => {
    const failures = await stack.server.runtime.sinkFailures.recent(1000);
    const writes = failures.filter((f) => f.sink === 'graph-down' && f.op === 'write');
    const batches = recorder.batches.length;
    expect(writes).toHaveLength(batches);
    expect(new Set(writes.map((f) => f.batchIndex))).toEqual(new Set([...Array(batches).keys()]));
    expect(writes[0]).toMatchObject({ repo: 'sample', runId: recorder.batches[0].runId, attempts: 2, detail: expect.stringContaining('ECONNREFUSED') });
    expect(failures.some((f) => f.sink === 'recorder')).toBe(false);

    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toContain(`sink_failures_total{sink="graph-down",op="write"} ${batches}`);
  });

  it('says degraded (not down) on /readyz, naming the sink', async () => {
    const res = await fetch(`${stack.url}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Readiness;
    expect(body.mode).toBe('degraded');
    expect(body.checks['sink:graph-down']).toMatchObject({ ok: false, required: false, detail: expect.stringContaining('connection refused') });
    expect(body.checks['sink:recorder']).toMatchObject({ ok: true, required: false });
    expect(body.problem!.detail).toContain('sink:graph-down');
  });

  it('deletes the chunks of a removed file from the healthy sink and reports the down sink', async () => {
    const before = recorder.batches.flatMap((b) => b.chunkIds);
    const manifest = await stack.server.runtime.manifests.current('sample');
    const removedIds = manifest!.files['src/rateLimiter.ts'].chunkIds;
    expect(removedIds.length).toBeGreaterThan(0);
    expect(before).toEqual(expect.arrayContaining(removedIds));

    await fs.rm(path.join(repoDir, 'src/rateLimiter.ts'));
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo: repoDir, name: 'sample' });
    const done = await waitForIndexJob(stack.url, submit.body.jobId);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    expect(done.result).toMatchObject({ manifestVersion: 2, deleted: 1 });

    expect(recorder.deleted.sort()).toEqual([...removedIds].sort());
    expect(done.result!.sinks.recorder).toEqual({ status: 'ok' });
    expect(done.result!.sinks['graph-down']).toMatchObject({ status: 'failed', detail: expect.stringContaining(`deleting ${removedIds.length} removed chunks`) });
    const deletes = (await stack.server.runtime.sinkFailures.recent(1000)).filter((f) => f.op === 'delete');
    expect(deletes).toEqual([expect.objectContaining({ sink: 'graph-down', repo: 'sample', chunks: removedIds.length })]);
  });

  it('resync heals the sink once it is back: live chunks re-written from Parquet (no re-embedding), deleted ids deleted', async () => {
    down.state.up = true;
    const rt = stack.server.runtime;
    const manifest = (await rt.manifests.current('sample'))!;
    const live = liveChunkIds(manifest);
    const report = await resyncSinks({ manifests: rt.manifests, db: await rt.duckdb(), sinks: [down.sink], logger: silentLogger(), batchSize: 3 }, 'sample');

    expect(report).toEqual({
      repo: 'sample',
      manifestVersion: 2,
      chunks: live.size,
      batches: Math.ceil(live.size / 3),
      deleted: manifest.deletedChunkIds.length,
      missing: 0,
      sinks: { 'graph-down': { status: 'ok' } },
    });
    expect(new Set(down.written.keys())).toEqual(live);
    // the very vectors the first run wrote to the healthy sink
    for (const id of live) expect(Array.from(down.written.get(id)!)).toEqual(Array.from(recorder.dense.get(id)!));
    expect(manifest.deletedChunkIds.length).toBeGreaterThan(0);
    expect(down.deleted.sort()).toEqual([...manifest.deletedChunkIds].sort());
  });
});
