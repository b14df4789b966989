import { z } from 'zod';
import { int, num } from './parsers.js';

/** The FAISS index lifecycle (seed 001 §D): Flat or IVF, when to compact, how long old files outlive a manifest. */
export const faissSection = z
  .object({
    // from bench:faiss (2 cores, 384-d): exact Flat answers one query in ~10 ms at 50k vectors; above it
    // IVF (4*sqrt(n) lists) with nprobe 16 gives recall@10 0.995 at 100k and 0.999 at 1M
    FAISS_FLAT_MAX: int(50_000, 1),
    FAISS_COMPACT_MIN_SECONDARY: int(20_000, 1),
    FAISS_COMPACT_FRACTION: num(0.2, 0, 1),
    FAISS_NPROBE: int(16, 1),
    MANIFEST_GC_GRACE_S: int(600, 0),
  })
  .transform((e) => ({
    faiss: {
      flatMax: e.FAISS_FLAT_MAX,
      compactMinSecondary: e.FAISS_COMPACT_MIN_SECONDARY,
      compactFraction: e.FAISS_COMPACT_FRACTION,
      nprobe: e.FAISS_NPROBE,
      gcGraceS: e.MANIFEST_GC_GRACE_S,
    },
  }));
