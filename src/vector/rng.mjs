// Plain JavaScript so the FAISS build worker thread can import it without a TypeScript loader.

/** Deterministic uniform [0, 1) generator (mulberry32): the same seed gives the same sample. */
export function rng(seed) {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
