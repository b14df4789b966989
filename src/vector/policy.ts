import type { Config } from '../config.js';
import type { PrimaryIndexPolicy } from './planner.js';

/**
 * The primary index type by corpus size (faiss wiki "Guidelines to choose an
 * index"): exact Flat below FAISS_FLAT_MAX vectors; above it IVF-Flat with
 * about 4·√n lists, trained on a sample, searched with FAISS_NPROBE lists.
 */
export function primaryIndexPolicy(faiss: Config['faiss']): PrimaryIndexPolicy {
  return {
    choose(n: number) {
      if (n <= faiss.flatMax) return { factory: 'Flat' };
      const nlist = Math.max(16, Math.min(65_536, 2 ** Math.round(Math.log2(4 * Math.sqrt(n)))));
      return { factory: `IVF${nlist},Flat`, nlist, params: { nprobe: faiss.nprobe } };
    },
  };
}
