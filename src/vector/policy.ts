import type { Config } from '../config/index.js';
import type { PrimaryIndexPolicy } from './planner.js';

/** Training points per IVF list: faiss warns below 39; more mostly costs k-means time (bench:faiss). */
export const IVF_TRAIN_POINTS_PER_LIST = 40;

/**
 * IVF list count for n vectors: the faiss wiki's 4*sqrt(n), as a power of
 * two, at most 4096 (k-means over more lists takes minutes on a few cores),
 * and never more lists than the vectors can train (39 per list).
 */
export function ivfListCount(n: number): number {
  const wiki = 2 ** Math.round(Math.log2(4 * Math.sqrt(Math.max(1, n))));
  return Math.max(1, Math.min(4096, wiki, Math.floor(n / 39)));
}

/**
 * The primary index type by corpus size (faiss wiki "Guidelines to choose an
 * index", and bench:faiss): exact Flat up to FAISS_FLAT_MAX vectors; above it
 * IVF-Flat with ivfListCount(n) lists, trained on a sample of 40 points per
 * list and searched with FAISS_NPROBE lists. Not offered, from measurements
 * on two cores: HNSW (2.5 min to build 100k, recall@10 0.94 at efSearch 128,
 * no removal), IVF-PQ (recall@10 0.71 at 48 bytes), IVF-SQ8 (a quarter of
 * the memory, but recall@10 stalls at 0.98 and it searched no faster than IVF-Flat).
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
