import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Job } from 'bullmq';
import type { Logger } from '../../src/observability/logger.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import { artifactKeys, denseBatchInfoSchema, runPlanSchema, sparseBatchSchema, stagedChunksSchema } from '../../src/contracts/artifacts.js';
import type { IndexRunResult, SinkBatchResult } from '../../src/contracts/results.js';
import type { IndexRunPayload } from '../../src/contracts/payloads.js';
import type { RepoLease } from '../../src/manifest/repoLock.js';
import { findCommittedBy } from '../../src/manifest/lineage.js';
import { planCommit } from '../../src/indexing/commitPlan.js';

import type { IndexRunDeps } from './types.js';
import { applyCommit } from './commit.js';
import type { RunPlan } from '../../src/contracts/artifacts.js';

/** Finalize: read what the run staged and wrote, decide the commit (planCommit), carry it out (applyCommit). */
export async function finalizeRun(
  deps: IndexRunDeps,
  job: Job,
  data: IndexRunPayload,
  started: number,
  log: Logger,
  lease?: RepoLease,
): Promise<IndexRunResult> {
  const current = await deps.manifests.current(data.repo);
  const plan = await deps.artifacts.getJson(artifactKeys.plan(data.runId), runPlanSchema);
  // committed before a crash (perhaps with a compaction on top since)
  const mine = await findCommittedBy(deps.manifests, current, data.runId, started);
  if (mine) return resultFromManifest(mine, started, plan);
  const staged = await deps.artifacts.getJson(artifactKeys.staged(data.runId), stagedChunksSchema);
  const batches = staged.batchSizes.length;
  // children results: the Parquet part and sink statuses per batch
  const sinkResults = Object.values((await job.getChildrenValues()) as Record<string, SinkBatchResult>).filter(
    (v) => v && typeof v.batchIndex === 'number',
  );
  const denseBatches = await Promise.all(
    Array.from({ length: batches }, (_, b) => deps.artifacts.getJson(artifactKeys.denseContract(data.runId, b), denseBatchInfoSchema)),
  );
  const sparse = await readSparseContract(deps, data.runId, batches);

  const commit = planCommit({ current, plan, staged, sinkResults, denseBatches, sparse, run: data });
  if (commit.kind === 'refused') throw commit.error;
  if (commit.kind === 'unchanged') {
    log.info({ version: commit.manifest.version }, 'nothing changed: the current version stays');
    return resultFromManifest(commit.manifest, started, plan);
  }
  const { manifest, sinks } = await applyCommit(deps, commit, log, lease);
  return { ...resultFromManifest(manifest, started, plan), lineWindowed: staged.lineWindowed ?? {}, sinks };
}

async function readSparseContract(deps: IndexRunDeps, runId: string, batches: number) {
  if (!deps.sparseEnabled || batches === 0) return null;
  const first = await deps.artifacts.getJson(artifactKeys.sparse(runId, 0), sparseBatchSchema).catch(() => null);
  return first?.contract ?? null;
}

export function resultFromManifest(manifest: Manifest, started: number, plan: RunPlan | null): IndexRunResult {
  const d = plan?.diff;
  const changedNothing = d && d.added.length + d.changed.length + d.deleted.length === 0;
  return {
    manifestVersion: manifest.version,
    files: manifest.stats.files,
    chunks: manifest.stats.chunks,
    added: d?.added.length ?? 0,
    changed: d?.changed.length ?? 0,
    deleted: d?.deleted.length ?? 0,
    unchanged: d?.unchanged.length ?? 0,
    durationMs: Date.now() - started,
    embedding: { model: manifest.embedding.model, dim: manifest.embedding.dim },
    skipped: plan?.skipped ?? {},
    sinks: {},
    ...(plan?.rebuild ? { note: plan.rebuild } : changedNothing ? { note: 'nothing changed since the previous version' } : {}),
  };
}

export async function cleanupRun(deps: IndexRunDeps, data: IndexRunPayload) {
  await deps.artifacts.removePrefix(artifactKeys.run(data.runId));
  // temp files a killed sink writer of this run left beside the parts (never at a final name)
  const partsDir = path.join(deps.manifests.repoDir(data.repo), 'parts');
  const stale = (await fs.readdir(partsDir).catch(() => [] as string[])).filter((f) => f.startsWith(`.part-${data.runId}-`) && f.endsWith('.tmp'));
  await Promise.all(stale.map((f) => fs.rm(path.join(partsDir, f), { force: true })));
  await deps.progress.clear(data.runId);
  if (data.ownedCloneDir) await fs.rm(path.resolve(data.ownedCloneDir), { recursive: true, force: true });
}
