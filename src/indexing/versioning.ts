import { createHash } from 'node:crypto';
import type { EmbeddingContract } from '../contracts/embedding.js';
import type { ManifestFileEntry } from '../manifest/manifest.js';

/**
 * A digest of a version's file table (path and content hash of every file).
 * Compaction rewrites FAISS files and parts but keeps the file table, so an
 * index run that planned against version N can commit on top of a compacted
 * N+1 exactly when the digests agree.
 */
export function fileTableDigest(files: Record<string, ManifestFileEntry>): string {
  const h = createHash('sha256');
  for (const p of Object.keys(files).sort()) h.update(p).update('\0').update(files[p].hash).update('\n');
  return h.digest('hex');
}

/**
 * Why vectors of `stored` and `serving` cannot share one index, or null when
 * they can. The query instruction only shapes queries, so it does not count.
 */
export function contractChange(stored: EmbeddingContract, serving: Pick<EmbeddingContract, 'model' | 'dim'> & Partial<EmbeddingContract>): string | null {
  if (stored.model !== serving.model || stored.dim !== serving.dim) {
    return `the embedding model changed from ${stored.model} (${stored.dim}-d) to ${serving.model} (${serving.dim}-d)`;
  }
  if (serving.provider !== undefined && stored.provider !== serving.provider) {
    return `the embedding provider changed from ${stored.provider} to ${serving.provider} (model ${stored.model})`;
  }
  if (serving.pooling !== undefined && stored.pooling !== serving.pooling) {
    return `the embedding pooling changed from ${stored.pooling} to ${serving.pooling} (model ${stored.model})`;
  }
  if (serving.normalize !== undefined && stored.normalize !== serving.normalize) {
    return `embedding normalisation changed from ${stored.normalize} to ${serving.normalize} (model ${stored.model})`;
  }
  return null;
}
