import path from 'node:path';
import { promises as fs } from 'node:fs';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from '../../src/observability/logger.js';
import { liveChunkIds, type Manifest, type ManifestFileEntry } from '../../src/manifest/manifest.js';
import { artifactKeys } from '../artifactKeys.js';
import type { EncodeDenseResult, IndexRunPayload, IndexRunResult, SinkBatchResult } from '../payloads.js';
import type { RepoLease } from '../../src/manifest/repoLock.js';
import { fileTableDigest } from '../../src/indexing/versioning.js';
import { findCommittedBy } from '../../src/manifest/lineage.js';

import type { IndexRunDeps, PlannedFile, RunPlan, StagedChunks } from './types.js';

/** Finalize: build the vector files and commit the new manifest version. */
export async function finalizeRun(
  deps: IndexRunDeps,
  job: Job,
  data: IndexRunPayload,
  started: number,
  log: Logger,
  lease?: RepoLease,
): Promise<IndexRunResult> {
  const current = await deps.manifests.current(data.repo);
  const plan = await deps.artifacts.getJson<RunPlan>(artifactKeys.plan(data.runId));
  // committed before a crash (perhaps with a compaction on top since)
  const mine = await findCommittedBy(deps.manifests, current, data.runId, started);
  if (mine) return resultFromManifest(mine, started, plan);
  const staged = await deps.artifacts.getJson<StagedChunks>(`${artifactKeys.run(data.runId)}/staged.json`);
  const batches = staged.batchSizes.length;
  const previous = plan.full ? null : current;
  // a compaction may have committed since the plan (same files, new FAISS layout): build on it
  const rebased = !plan.full && !!current && current.version !== plan.previousVersion && !!plan.baseDigest && fileTableDigest(current.files) === plan.baseDigest;
  if (!plan.full && (current?.version ?? null) !== plan.previousVersion && !rebased) {
    throw new UnrecoverableError(
      `repo ${data.repo} moved from version ${plan.previousVersion} to ${current?.version} during this run; start a new run`,
    );
  }

  const d = plan.diff;
  if (previous && batches === 0 && d.added.length + d.changed.length + d.deleted.length === 0 && sameSource(previous.source, data.source)) {
    log.info({ version: previous.version }, 'nothing changed: the current version stays');
    return resultFromManifest(previous, started, plan);
  }

  // children results: the Parquet part and sink statuses per batch
  const childValues = (await job.getChildrenValues()) as Record<string, SinkBatchResult>;
  const sinkResults = Object.values(childValues).filter((v) => v && typeof v.batchIndex === 'number');
  const partsByBatch = new Map(sinkResults.map((r) => [r.batchIndex, r.part]));
  const newParts: string[] = [];
  for (let b = 0; b < batches; b++) {
    const part = partsByBatch.get(b);
    if (!part) throw new Error(`batch ${b} of run ${data.runId} has no written Parquet part yet`);
    newParts.push(part);
  }

  // the embedding contract every batch used; a run never mixes models or dimensions
  const contracts = await Promise.all(
    Array.from({ length: batches }, (_, b) => deps.artifacts.getJson<EncodeDenseResult & { contract: Manifest['embedding'] }>(artifactKeys.denseContract(data.runId, b))),
  );
  const contract = contracts[0]?.contract ?? previous?.embedding ?? current?.embedding;
  if (!contract) throw new UnrecoverableError(`run ${data.runId} produced no embeddings and the repo has no previous version`);
  for (const c of contracts) {
    if (c.contract.model !== contract.model || c.contract.dim !== contract.dim) {
      throw new UnrecoverableError(
        `batches of run ${data.runId} were embedded by different models (${contract.model}/${contract.dim} vs ${c.contract.model}/${c.contract.dim}); re-run with full: true`,
      );
    }
  }
  if (previous && (previous.embedding.model !== contract.model || previous.embedding.dim !== contract.dim)) {
    throw new UnrecoverableError(
      `the embedding model changed from ${previous.embedding.model} (${previous.embedding.dim}-d) to ${contract.model} (${contract.dim}-d); ` +
        `re-run with full: true to rebuild the index; the current version keeps serving until then`,
    );
  }

  // new vectors, in batch order
  const ids: string[] = [];
  const rows: Float32Array[] = [];
  for (let b = 0; b < batches; b++) {
    const batchIds = staged.batchIds[b];
    const dense = await deps.artifacts.getVectors(artifactKeys.dense(data.runId, b));
    if (dense.length !== batchIds.length) throw new Error(`batch ${b}: ${batchIds.length} chunks but ${dense.length} vectors`);
    batchIds.forEach((id, i) => {
      ids.push(id);
      rows.push(dense[i]);
    });
  }

  // the file table of the new version
  const files: Record<string, ManifestFileEntry> = {};
  const planned = new Map(plan.files.map((f) => [f.path, f]));
  // size and mtime as listed now: the next run's stat cache
  const stat = (f: PlannedFile) => (f.mtimeMs !== undefined ? { size: f.size, mtimeMs: f.mtimeMs } : {});
  for (const rel of plan.diff.unchanged) {
    const { size: _s, mtimeMs: _m, ...entry } = previous!.files[rel];
    files[rel] = { ...entry, ...stat(planned.get(rel)!) };
  }
  for (const rel of [...plan.diff.added, ...plan.diff.changed]) {
    const f = planned.get(rel)!;
    files[rel] = { hash: f.hash, language: f.language, chunkIds: staged.fileChunks[rel] ?? [], ...stat(f) };
  }
  const newLive = liveChunkIds({ files });
  const version = await deps.manifests.nextVersion(data.repo);
  const repoDir = deps.manifests.repoDir(data.repo);

  let vectors: Manifest['vectors'];
  let parts: string[];
  let deleted: Set<string>;
  if (!previous) {
    const primary = ids.length ? await deps.vectorPlanner.buildPrimary({ repoDir, version, dim: contract.dim, ids, rows }) : null;
    vectors = { primary, secondary: null };
    parts = newParts;
    deleted = new Set(ids.filter((id) => !newLive.has(id)));
  } else {
    const secondary = await deps.vectorPlanner.extendSecondary({
      repoDir,
      version,
      dim: contract.dim,
      previous: previous.vectors.secondary,
      ids,
      rows,
      keep: (id) => newLive.has(id),
    });
    vectors = { primary: previous.vectors.primary, secondary };
    parts = [...previous.parts, ...newParts];
    deleted = new Set<string>();
    for (const id of previous.deletedChunkIds) if (!newLive.has(id)) deleted.add(id);
    for (const id of liveChunkIds(previous)) if (!newLive.has(id)) deleted.add(id);
  }

  const manifest: Manifest = {
    formatVersion: 1,
    version,
    repo: data.repo,
    source: data.source,
    runId: data.runId,
    createdAt: new Date().toISOString(),
    embedding: contract,
    sparse: (await readSparseContract(deps, data.runId, batches)) ?? previous?.sparse ?? null,
    files,
    parts,
    deletedChunkIds: [...deleted],
    vectors,
    stats: { files: Object.keys(files).length, chunks: newLive.size },
    kind: 'index',
    previousVersion: current?.version ?? null,
    ...(plan.scannedAt ? { scannedAt: plan.scannedAt } : {}),
  };
  // the lease may have expired while the vectors were written: then another writer may be at work
  lease?.assertHeld();
  if ((await deps.manifests.currentVersion(data.repo)) !== (current?.version ?? null)) {
    throw new Error(`repo ${data.repo} moved past version ${current?.version} while this run was committing; the run will retry`);
  }
  await deps.manifests.commit(manifest);
  log.info({ version, chunks: newLive.size, newVectors: ids.length, deleted: deleted.size }, 'manifest committed');
  await deps.afterCommit?.(manifest).catch((err) => log.warn({ err: (err as Error).message }, 'post-commit hook failed'));

  const sinks: IndexRunResult['sinks'] = {};
  for (const r of sinkResults) {
    for (const [name, s] of Object.entries(r.sinks ?? {})) {
      if (!sinks[name] || s.status === 'failed') sinks[name] = s;
    }
  }
  // chunks the committed version no longer has: the ones `current` served, and new ones no file kept
  const removed = new Set<string>(current ? [...liveChunkIds(current)] : []);
  for (const id of ids) removed.add(id);
  for (const id of newLive) removed.delete(id);
  if (removed.size > 0 && deps.removeFromSinks) {
    const removal = await deps.removeFromSinks(data.repo, data.runId, [...removed]).catch((err): IndexRunResult['sinks'] => {
      log.warn({ err: (err as Error).message }, 'removing deleted chunks from the optional sinks failed');
      return {};
    });
    for (const [name, s] of Object.entries(removal)) {
      if (s.status === 'failed' && sinks[name]?.status !== 'failed') {
        sinks[name] = { status: 'failed', detail: `deleting ${removed.size} removed chunks: ${s.detail ?? 'failed'}` };
      } else if (!sinks[name]) sinks[name] = s;
    }
  }
  return { ...resultFromManifest(manifest, started, plan), lineWindowed: staged.lineWindowed ?? {}, sinks };
}

/** Same place and ref (a git source is cloned afresh into a new directory by every run). */
const sameSource = (a: Manifest['source'], b: Manifest['source']) =>
  a.kind === b.kind && a.location === b.location && (a.ref ?? null) === (b.ref ?? null) && (a.kind === 'git' || a.root === b.root);

async function readSparseContract(deps: IndexRunDeps, runId: string, batches: number) {
  if (!deps.sparseEnabled || batches === 0) return null;
  const first = await deps.artifacts.getJson<{ contract: Manifest['sparse'] }>(artifactKeys.sparse(runId, 0)).catch(() => null);
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
