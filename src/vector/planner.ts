import path from 'node:path';
import type { VectorIndexRef } from '../manifest/manifest.js';
import { FaissIndex } from './faissNative.js';
import { buildIndexFiles, packRows } from './indexFiles.js';

/**
 * Decides which FAISS files a commit writes. The primary index is rebuilt
 * by full runs and compaction; incremental runs append their new vectors to
 * a flat secondary index, written anew under the new version's name.
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
  }): Promise<VectorIndexRef>;
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
    async extendSecondary({ repoDir, version, dim, previous, ids, rows }) {
      let allIds = ids;
      let vectors = packRows(rows, dim);
      if (previous && previous.count > 0) {
        // flat indexes store the raw vectors: read them back and append
        const prevIds = JSON.parse(await (await import('node:fs/promises')).readFile(path.join(repoDir, previous.idsFile), 'utf8')) as string[];
        const old = FaissIndex.read(path.join(repoDir, previous.file));
        try {
          const merged = new Float32Array((prevIds.length + ids.length) * dim);
          for (let i = 0; i < prevIds.length; i++) merged.set(old.reconstruct(i), i * dim);
          merged.set(vectors, prevIds.length * dim);
          vectors = merged;
          allIds = [...prevIds, ...ids];
        } finally {
          old.free();
        }
      }
      return buildIndexFiles({ repoDir, name: `faiss/secondary-v${version}`, factory: 'Flat', dim, ids: allIds, vectors });
    },
  };
}
