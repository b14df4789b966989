import type { JobProcessor } from '../src/contracts/jobs.js';
import { createFaissCompactProcessor } from '../jobs/faissCompact.js';
import type { IndexRunDeps } from '../jobs/indexRun.js';
import { readEmbeddingContract } from '../src/embedding/contractRegistry.js';
import { compactionDue, enqueueCompaction } from '../src/indexing/compaction.js';
import { collectGarbage } from '../src/manifest/gc.js';
import type { Manifest } from '../src/manifest/manifest.js';
import { createRepoLock } from '../src/manifest/repoLock.js';
import type { Runtime } from './runtime.js';
import { primaryIndexPolicy } from '../src/vector/policy.js';

/**
 * The index role's version lifecycle, shared by index.run and faiss.compact:
 * the per-repo write lease, garbage collection of superseded versions after
 * every commit, compaction when the secondary index has grown, and the
 * embedding contract the GPU workers published (a new model → full rebuild).
 */
export function createIndexLifecycle(rt: Runtime): {
  runDeps: Pick<IndexRunDeps, 'repoLock' | 'afterCommit' | 'embeddingContract'>;
  compact: JobProcessor<'faiss.compact'>;
} {
  const { config, logger } = rt;
  const repoLock = createRepoLock({ redis: rt.redis, prefix: config.redisPrefix });
  const log = logger.child({ component: 'index-lifecycle' });

  const collect = async (manifest: Manifest) => {
    await collectGarbage(rt.manifests, manifest.repo, { graceMs: config.faiss.gcGraceS * 1000, logger: log }).catch((err) =>
      log.warn({ repo: manifest.repo, err }, 'garbage collection failed; it runs again after the next commit'),
    );
  };

  return {
    runDeps: {
      repoLock,
      embeddingContract: () => readEmbeddingContract(rt.redis, config.redisPrefix),
      async afterCommit(manifest) {
        await collect(manifest);
        const reason = compactionDue(manifest, config.faiss);
        if (!reason) return;
        const { jobId, alreadyQueued } = await enqueueCompaction(rt.queues, manifest.repo, reason);
        log.info({ repo: manifest.repo, version: manifest.version, reason, jobId, alreadyQueued }, 'compaction queued');
      },
    },
    compact: createFaissCompactProcessor({
      logger,
      manifests: rt.manifests,
      db: rt.duckdb,
      repoLock,
      policy: primaryIndexPolicy(config.faiss),
      afterCommit: collect,
    }),
  };
}
