import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { VectorIndexRef } from '../manifest/manifest.js';
import { FaissIndex } from './faissNative.js';
import { buildIndexFiles, packRows } from './indexFiles.js';

/**
 * Decides which FAISS files a commit writes. The primary index is rebuilt
 * by full runs and compaction; incremental runs append their new vectors to
 * a flat secondary index, written anew under the new version's name without
 * the entries that are no longer live (the primary keeps its dead ones until
 * compaction; search skips them through the manifest's deletion list).
 */
export interface VectorIndexPlanner {
  buildPrimary(input: { repoDir: string; version: number; dim: number; ids: string[]; rows: Float32Array[] }): Promise<VectorIndexRef>;
  extendSecondary(input: {
    repoDir: string;
    version: number;
    dim: number;
    previous: VectorIndexRef | null;
    ids: string[];
    rows: Float32Array[];
    /** previous entries to carry over (default all); deleted chunks are dropped here rather than searched past */
    keep?: (chunkId: string) => boolean;
  }): Promise<VectorIndexRef | null>;
}

export interface PrimaryIndexPolicy {
  /** choose the factory string (and training sample) for n vectors */
  choose(n: number, dim: number): { factory: string; nlist?: number; m?: number; trainSize?: number; params?: Record<string, number> };
}

export const flatOnlyPolicy: PrimaryIndexPolicy = { choose: () => ({ factory: 'Flat' }) };

export function createVectorIndexPlanner(policy: PrimaryIndexPolicy = flatOnlyPolicy): VectorIndexPlanner {
  return {
    async buildPrimary({ repoDir, version, dim, ids, rows }) {
      const choice = policy.choose(ids.length, dim);
      return buildIndexFiles({ repoDir, name: `faiss/primary-v${version}`, dim, ids, vectors: packRows(rows, dim), ...choice });
    },
    async extendSecondary({ repoDir, version, dim, previous, ids, rows, keep }) {
      const prevIds = previous && previous.count > 0 ? (JSON.parse(await readFile(path.join(repoDir, previous.idsFile), 'utf8')) as string[]) : [];
      // previous entries still worth a slot: live, and not written again by this run
      const fresh = new Set(ids);
      const kept: number[] = [];
      prevIds.forEach((id, i) => {
        if (!fresh.has(id) && (!keep || keep(id))) kept.push(i);
      });
      if (ids.length === 0 && kept.length === prevIds.length) return previous;
      if (ids.length + kept.length === 0) return null;
      const vectors = new Float32Array((kept.length + ids.length) * dim);
      if (kept.length) {
        // flat indexes store the raw vectors: read the kept ones back
        const old = FaissIndex.read(path.join(repoDir, previous!.file));
        try {
          kept.forEach((pos, i) => vectors.set(old.reconstruct(pos), i * dim));
        } finally {
          old.free();
        }
      }
      vectors.set(packRows(rows, dim), kept.length * dim);
      const allIds = [...kept.map((i) => prevIds[i]), ...ids];
      return buildIndexFiles({ repoDir, name: `faiss/secondary-v${version}`, factory: 'Flat', dim, ids: allIds, vectors });
    },
  };
}
