import type { FlowJob, Job } from 'bullmq';
import type { Chunk } from '../../src/contracts/chunk.js';
import type { Logger } from '../../src/observability/logger.js';
import { liveChunkIds } from '../../src/manifest/manifest.js';
import { flowJob } from '../../src/queue/producer.js';
import { artifactKeys, childJobIds, runPlanSchema } from '../../src/contracts/artifacts.js';
import type { IndexRunPayload } from '../../src/contracts/payloads.js';

import type { IndexRunDeps } from './types.js';
import type { IndexRunProgress } from '../../src/contracts/results.js';
import type { StagedChunks } from '../../src/contracts/artifacts.js';
import { readAhead } from '../../src/indexing/readAhead.js';

/** Chunk: chunk added and changed files into staged batches, starting each batch's flow at once. */
export async function stageChunks(
  deps: IndexRunDeps,
  data: IndexRunPayload,
  report: (p: Partial<IndexRunProgress>) => Promise<void>,
  log: Logger,
  onBatchStaged: (batchIndex: number) => Promise<void>,
): Promise<StagedChunks> {
  const plan = await deps.artifacts.getJson(artifactKeys.plan(data.runId), runPlanSchema);
  const previous = plan.full ? null : await deps.manifests.current(data.repo);
  const alreadyLive = previous ? liveChunkIds(previous) : new Set<string>();
  const snapshot = await deps.openSnapshot(data.source);
  const chunker = deps.createChunker();
  const byPath = new Map(plan.files.map((f) => [f.path, f]));
  const todo = [...plan.diff.added, ...plan.diff.changed].sort();
  const fileChunks: Record<string, string[]> = {};
  const batchSizes: number[] = [];
  const batchIds: string[][] = [];
  let pending: Chunk[] = [];
  let reused = 0;
  const lineWindowed: Record<string, number> = {};
  const flush = async () => {
    if (!pending.length) return;
    const batchIndex = batchSizes.length;
    await deps.artifacts.putJson(artifactKeys.chunks(data.runId, batchIndex), pending);
    batchSizes.push(pending.length);
    batchIds.push(pending.map((c) => c.id));
    pending = [];
    await onBatchStaged(batchIndex);
  };
  let done = 0;
  let lastReport = Date.now();
  for await (const [rel, text] of readAhead(todo, (p) => snapshot.read(p), 16)) {
    const file = byPath.get(rel)!;
    let chunks: Chunk[] = [];
    try {
      if (text instanceof Error) throw text;
      const chunked = await chunker.chunkFileDetailed(rel, text, file.language);
      chunks = chunked.chunks;
      if (chunked.strategy === 'lines') lineWindowed[file.language] = (lineWindowed[file.language] ?? 0) + 1;
    } catch (err) {
      log.warn({ path: rel, err }, 'file could not be read or chunked; skipped');
    }
    fileChunks[rel] = chunks.map((c) => c.id);
    for (const c of chunks) {
      // A chunk a changed file kept verbatim is written again: its id is
      // content-derived but its line numbers (and enclosing symbols) move
      // when lines above it change, and the catalog takes the newest part's row.
      if (alreadyLive.has(c.id)) reused++;
      pending.push(c);
      if (pending.length >= deps.batchSize) await flush();
    }
    done++;
    if (Date.now() - lastReport > 500) {
      lastReport = Date.now();
      await report({ files: { total: todo.length, done }, chunks: { total: batchSizes.reduce((a, b) => a + b, 0) + pending.length, ...(await deps.progress.read(data.runId)) } });
    }
  }
  await flush();
  await report({ files: { total: todo.length, done } });
  await deps.artifacts.putJson(artifactKeys.staged(data.runId), { fileChunks, batchSizes, batchIds, reused, lineWindowed });
  log.info({ files: todo.length, batches: batchSizes.length, chunks: batchSizes.reduce((a, b) => a + b, 0), reused }, 'chunks staged');
  return { fileChunks, batchSizes, batchIds, reused, lineWindowed };
}

/**
 * One sub-flow per batch: sink.batch with encode.dense (and encode.sparse) as
 * its children, itself a child of the run. Deterministic ids make re-adding
 * after a crash a no-op.
 */
export async function addBatchFlow(deps: IndexRunDeps, job: Job, data: IndexRunPayload, b: number) {
  const parent = { id: job.id!, queue: job.queueQualifiedName };
  const ref = { runId: data.runId, repo: data.repo, batchIndex: b, store: deps.storeId };
  const children: FlowJob[] = [flowJob('encode.dense', ref, { jobId: childJobIds.dense(data.runId, b), failParentOnFailure: true })];
  if (deps.sparseEnabled) {
    children.push(flowJob('encode.sparse', ref, { jobId: childJobIds.sparse(data.runId, b), failParentOnFailure: true }));
  }
  await deps.flows.add(
    flowJob('sink.batch', { ...ref, sparse: deps.sparseEnabled }, { jobId: childJobIds.sink(data.runId, b), parent, failParentOnFailure: true }, children),
  );
}

