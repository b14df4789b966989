import path from 'node:path';
import { UnrecoverableError } from 'bullmq';
import type { DuckDb } from '../src/catalog/duckdb.js';
import { mergeParts } from '../src/indexing/mergeParts.js';
import { liveChunkIds, type Manifest } from '../src/manifest/manifest.js';
import type { RepoLock } from '../src/manifest/repoLock.js';
import type { ManifestStore } from '../src/manifest/store.js';
import type { Logger } from '../src/observability/logger.js';
import { buildIndexFiles } from '../src/vector/indexFiles.js';
import type { PrimaryIndexPolicy } from '../src/vector/planner.js';
import { readPartVectors } from '../src/vector/readPartVectors.js';
import type { JobProcessor } from '../src/contracts/jobs.js';

export interface FaissCompactDeps {
  logger: Logger;
  manifests: ManifestStore;
  db: () => Promise<DuckDb>;
  /** the same per-repo write lease index runs commit under */
  repoLock: RepoLock;
  policy: PrimaryIndexPolicy;
  /** after the commit, still holding the lease: garbage collection */
  afterCommit?(manifest: Manifest): Promise<void>;
  /** test seam: runs after the new files are written, before the commit */
  beforeCommit?(manifest: Manifest): Promise<void>;
}

/**
 * faiss.compact: rebuild a repo's primary index from its live vectors and
 * fold the secondary in. The live rows are the version's Parquet parts minus
 * its deletions, one row per chunk (the newest part's): they are rewritten
 * as one merged part, their embeddings read back through DuckDB and a new
 * primary built (trained on a sample when the policy picks IVF). The whole
 * job holds the repo's write lease, so no index run commits meanwhile; it
 * re-checks the version before its own commit all the same.
 */
export function createFaissCompactProcessor(deps: FaissCompactDeps): JobProcessor<'faiss.compact'> {
  return async function processFaissCompact(job) {
    const data = job.data;
    const log = deps.logger.child({ job: 'faiss.compact', jobId: job.id, repo: data.repo });
    const started = Date.now();
    return deps.repoLock.withLock(data.repo, async (lease) => {
      const current = await deps.manifests.current(data.repo);
      if (!current) throw new UnrecoverableError(`repo ${data.repo} has no committed index to compact`);
      const base = {
        repo: data.repo,
        fromVersion: current.version,
        reason: data.reason,
        parts: { before: current.parts.length, after: current.parts.length },
      };
      const secondary = current.vectors.secondary?.count ?? 0;
      if (secondary === 0 && current.deletedChunkIds.length === 0 && current.parts.length <= 1) {
        return {
          ...base,
          compacted: false,
          version: current.version,
          primary: current.vectors.primary && { type: current.vectors.primary.type, count: current.vectors.primary.count, trainedOn: current.vectors.primary.trainedOn },
          droppedVectors: 0,
          durationMs: Date.now() - started,
          note: 'nothing to compact: no secondary vectors, no deletions, one part',
        };
      }

      const repoDir = deps.manifests.repoDir(data.repo);
      const version = await deps.manifests.nextVersion(data.repo);
      const db = await deps.db();
      const dim = current.embedding.dim;
      const live = liveChunkIds(current);

      let parts: string[] = [];
      let ids: string[] = [];
      let vectors: Float32Array = new Float32Array(0);
      if (current.parts.length > 0 && live.size > 0) {
        await deps.manifests.materialize(data.repo, current.parts);
        const merged = `parts/part-compact-v${version}-00000.parquet`;
        const t0 = Date.now();
        const { rows } = await mergeParts(db, {
          parts: current.parts.map((p) => path.join(repoDir, p)),
          deletedChunkIds: current.deletedChunkIds,
          output: path.join(repoDir, merged),
          embedding: current.embedding,
          sparse: current.sparse,
          compactedFrom: `v${current.version}`,
        });
        parts = [merged];
        ({ ids, vectors } = await readPartVectors(db, [path.join(repoDir, merged)], dim, (id) => live.has(id)));
        log.info({ rows, vectors: ids.length, ms: Date.now() - t0 }, 'parts merged and live vectors read');
        if (ids.length !== live.size) {
          // the manifest names chunks no part holds: they could never be hydrated anyway
          log.warn({ live: live.size, found: ids.length }, 'some live chunks have no row in the parts');
        }
      }

      const choice = deps.policy.choose(ids.length, dim);
      const primary = ids.length
        ? await buildIndexFiles({ repoDir, name: `faiss/primary-v${version}`, dim, ids, vectors, ...choice })
        : null;
      const before = (current.vectors.primary?.count ?? 0) + secondary;
      const manifest: Manifest = {
        ...current,
        version,
        runId: `compact-v${version}`,
        createdAt: new Date().toISOString(),
        parts,
        deletedChunkIds: [],
        vectors: { primary, secondary: null },
        stats: { files: current.stats.files, chunks: live.size },
        kind: 'compaction',
        previousVersion: current.version,
      };
      await deps.beforeCommit?.(manifest);
      await lease.confirm();
      if ((await deps.manifests.currentVersion(data.repo)) !== current.version) {
        throw new Error(`repo ${data.repo} moved past version ${current.version} during compaction; it will be retried`);
      }
      await deps.manifests.commit(manifest, { fence: lease.fence });
      log.info({ from: current.version, version, type: primary?.type ?? null, vectors: ids.length, dropped: before - ids.length }, 'compaction committed');
      await deps.afterCommit?.(manifest).catch((err) => log.warn({ err }, 'post-compaction hook failed'));
      return {
        ...base,
        compacted: true,
        version,
        primary: primary && { type: primary.type, count: primary.count, trainedOn: primary.trainedOn },
        droppedVectors: before - ids.length,
        parts: { before: current.parts.length, after: parts.length },
        durationMs: Date.now() - started,
      };
    });
  };
}
