import type { Logger } from '../../src/observability/logger.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import type { RepoLease } from '../../src/manifest/repoLock.js';
import { artifactKeys } from '../../src/contracts/artifacts.js';
import type { IndexRunResult } from '../../src/contracts/results.js';
import type { CommitWrite } from '../../src/indexing/commitPlan.js';

import type { IndexRunDeps } from './types.js';

export type CommitDeps = Pick<IndexRunDeps, 'artifacts' | 'manifests' | 'vectorPlanner' | 'afterCommit' | 'removeFromSinks'>;

/**
 * Carry out a planned commit: read the new vectors, write the FAISS files
 * through the vector planner, commit the manifest (still holding the lease,
 * on top of the version it was planned on), run the post-commit hook, then
 * delete removed chunks from the optional sinks.
 */
export async function applyCommit(
  deps: CommitDeps,
  commit: CommitWrite,
  log: Logger,
  lease?: RepoLease,
): Promise<{ manifest: Manifest; sinks: IndexRunResult['sinks'] }> {
  const { repo, runId, previousVersion } = commit.manifest;
  const ids: string[] = [];
  const rows: Float32Array[] = [];
  for (const { batch, ids: batchIds } of commit.newVectors) {
    const dense = await deps.artifacts.getVectors(artifactKeys.dense(runId, batch));
    if (dense.length !== batchIds.length) throw new Error(`batch ${batch}: ${batchIds.length} chunks but ${dense.length} vectors`);
    batchIds.forEach((id, i) => {
      ids.push(id);
      rows.push(dense[i]);
    });
  }

  const version = await deps.manifests.nextVersion(repo);
  const repoDir = deps.manifests.repoDir(repo);
  const plan = commit.vectors;
  let vectors: Manifest['vectors'];
  if (plan.kind === 'build-primary') {
    const primary = ids.length ? await deps.vectorPlanner.buildPrimary({ repoDir, version, dim: plan.dim, ids, rows }) : null;
    vectors = { primary, secondary: null };
  } else {
    // the previous secondary's files are read back: local copies first when the store is remote
    if (plan.secondary) await deps.manifests.materialize(repo, [plan.secondary.file, plan.secondary.idsFile]);
    const secondary = await deps.vectorPlanner.extendSecondary({
      repoDir,
      version,
      dim: plan.dim,
      previous: plan.secondary,
      ids,
      rows,
      keep: (id) => plan.keep.has(id),
    });
    vectors = { primary: plan.primary, secondary };
  }

  const draft = commit.manifest;
  const manifest: Manifest = {
    formatVersion: draft.formatVersion,
    version,
    repo: draft.repo,
    source: draft.source,
    runId: draft.runId,
    createdAt: new Date().toISOString(),
    embedding: draft.embedding,
    sparse: draft.sparse,
    files: draft.files,
    parts: draft.parts,
    deletedChunkIds: draft.deletedChunkIds,
    vectors,
    stats: draft.stats,
    kind: draft.kind,
    previousVersion: draft.previousVersion,
    ...(draft.scannedAt ? { scannedAt: draft.scannedAt } : {}),
  };
  // the lease may have expired while the vectors were written: then another writer may be at work
  await lease?.confirm();
  if ((await deps.manifests.currentVersion(repo)) !== (previousVersion ?? null)) {
    throw new Error(`repo ${repo} moved past version ${previousVersion ?? undefined} while this run was committing; the run will retry`);
  }
  // the fence makes the store refuse this commit if a newer lease holder committed meanwhile
  await deps.manifests.commit(manifest, { fence: lease?.fence });
  log.info({ version, chunks: manifest.stats.chunks, newVectors: ids.length, deleted: manifest.deletedChunkIds.length }, 'manifest committed');
  await deps.afterCommit?.(manifest).catch((err) => log.warn({ err }, 'post-commit hook failed'));

  return { manifest, sinks: await removeFromSinks(deps, commit, log) };
}

/** Delete the removed chunks from the optional sinks; a sink that fails is reported, never fatal (the manifest hides them). */
async function removeFromSinks(deps: CommitDeps, commit: CommitWrite, log: Logger): Promise<IndexRunResult['sinks']> {
  const sinks = { ...commit.sinks };
  const removed = commit.removeFromSinks;
  if (removed.length === 0 || !deps.removeFromSinks) return sinks;
  const removal = await deps.removeFromSinks(commit.manifest.repo, commit.manifest.runId, removed).catch((err): IndexRunResult['sinks'] => {
    log.warn({ err }, 'removing deleted chunks from the optional sinks failed');
    return {};
  });
  for (const [name, s] of Object.entries(removal)) {
    if (s.status === 'failed' && sinks[name]?.status !== 'failed') {
      sinks[name] = { status: 'failed', detail: `deleting ${removed.length} removed chunks: ${s.detail ?? 'failed'}` };
    } else if (!sinks[name]) sinks[name] = s;
  }
  return sinks;
}
