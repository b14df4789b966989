import { enqueue, type JobQueues } from '../queue/producer.js';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';
import type { Manifest } from '../manifest/manifest.js';

/** Why a version's secondary index should be folded into a new primary now, or null. */
export function compactionDue(manifest: Pick<Manifest, 'vectors' | 'deletedChunkIds'>, faiss: Pick<Config['faiss'], 'compactMinSecondary' | 'compactFraction'>): string | null {
  const secondary = manifest.vectors.secondary?.count ?? 0;
  const primary = manifest.vectors.primary?.count ?? 0;
  // vectors a search must step over: the secondary's, and deleted ones still in the indexes
  const deleted = manifest.deletedChunkIds.length;
  if (secondary === 0 && deleted === 0) return null;
  if (secondary >= faiss.compactMinSecondary) return `secondary index holds ${secondary} vectors (FAISS_COMPACT_MIN_SECONDARY=${faiss.compactMinSecondary})`;
  const dirty = secondary + deleted;
  if (faiss.compactFraction > 0 && dirty >= faiss.compactFraction * Math.max(primary, 1)) {
    return `${secondary} secondary and ${deleted} deleted vectors against a primary of ${primary} (FAISS_COMPACT_FRACTION=${faiss.compactFraction})`;
  }
  return null;
}

export const compactDedupId = (repo: string) => `compact-${repo}`;

/**
 * Queue faiss.compact for a repo, one at a time: while one is waiting or
 * running, another request answers with its job id.
 */
export async function enqueueCompaction(queues: JobQueues<'index'>, repo: string, reason: string): Promise<{ jobId: string; alreadyQueued: boolean }> {
  const jobId = `compact-${repo}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const job = await enqueue(queues, 'faiss.compact', { repo, reason }, { jobId, deduplication: { id: compactDedupId(repo) } });
  return { jobId: job.id!, alreadyQueued: job.id !== jobId };
}
