/** Deterministic uniform [0, 1) generator (mulberry32): the same seed gives the same sample. */
export function rng(seed: number): () => number;
