import type { Config } from '../config.js';
import type { PrimaryIndexPolicy } from './planner.js';

/** Training points per IVF list: faiss warns below 39, k-means gains little past ~64. */
export const IVF_TRAIN_POINTS_PER_LIST = 64;

/** IVF list count for n vectors: a power of two near sqrt(n), within [64, 4096]. */
export function ivfListCount(n: number): number {
  return Math.max(64, Math.min(4096, 2 ** Math.round(Math.log2(Math.sqrt(Math.max(1, n))))));
}

/**
 * The primary index type by corpus size (faiss wiki "Guidelines to choose an
 * index"): exact Flat up to FAISS_FLAT_MAX vectors; above it IVF-Flat with
 * about sqrt(n) lists, trained on a sample of 64 points per list and searched
 * with FAISS_NPROBE lists.
 */
export function primaryIndexPolicy(faiss: Config['faiss']): PrimaryIndexPolicy {
  return {
    choose(n: number) {
      if (n <= faiss.flatMax) return { factory: 'Flat' };
      const nlist = ivfListCount(n);
      return {
        factory: `IVF${nlist},Flat`,
        nlist,
        trainSize: Math.min(n, nlist * IVF_TRAIN_POINTS_PER_LIST),
        params: { nprobe: faiss.nprobe },
      };
    },
  };
}
