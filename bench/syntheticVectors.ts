/**
 * Clustered synthetic embeddings for the FAISS benchmark: a two-level
 * Gaussian mixture on the unit sphere (topic → subtopic → point), so IVF
 * lists line up with real structure the way they do on code embeddings,
 * unlike uniform noise where every list is equally (un)informative.
 */

import { rng } from '../src/vector/rng.mjs';

/** Standard normal samples (Box-Muller), two per pair of uniforms. */
function gaussian(next: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    const u = Math.max(next(), 1e-12);
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * next();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
}

function normalizeInPlace(v: Float32Array, off: number, dim: number): void {
  let s = 0;
  for (let j = 0; j < dim; j++) s += v[off + j] * v[off + j];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let j = 0; j < dim; j++) v[off + j] *= inv;
}

export interface MixtureSpec {
  dim: number;
  topics: number;
  subtopicsPerTopic: number;
  /** spread of subtopics around their topic, relative to unit norm */
  subtopicSpread: number;
  /** spread of points around their subtopic, relative to unit norm */
  pointSpread: number;
  seed: number;
}

/**
 * Overlapping clusters: a query's nearest neighbour has cosine ~0.54, its
 * 10th ~0.41, random pairs ~0. On 100k points IVF1024 needs nprobe 16 for
 * recall@10 >= 0.99 (nprobe 1 gives ~0.65), in line with what the faiss wiki
 * reports for real embeddings; tighter clusters made every IVF look perfect.
 */
export const DEFAULT_MIXTURE: Omit<MixtureSpec, 'dim'> = {
  topics: 50,
  subtopicsPerTopic: 200,
  subtopicSpread: 1.2,
  pointSpread: 1.0,
  seed: 42,
};

export interface Mixture {
  spec: MixtureSpec;
  /** n points, row-major, unit norm */
  points(n: number, seed: number): Float32Array;
  /** queries near the data: a point of the mixture moved by `jitter`, renormalised */
  queries(n: number, seed: number, jitter?: number): Float32Array;
}

export function createMixture(spec: MixtureSpec): Mixture {
  const { dim } = spec;
  const g = gaussian(rng(spec.seed));
  const unitNoise = (out: Float32Array, off: number, scale: number) => {
    const s = scale / Math.sqrt(dim);
    for (let j = 0; j < dim; j++) out[off + j] += g() * s;
  };
  const nSub = spec.topics * spec.subtopicsPerTopic;
  const centers = new Float32Array(nSub * dim);
  const topic = new Float32Array(dim);
  for (let t = 0; t < spec.topics; t++) {
    topic.fill(0);
    unitNoise(topic, 0, 1);
    normalizeInPlace(topic, 0, dim);
    for (let s = 0; s < spec.subtopicsPerTopic; s++) {
      const off = (t * spec.subtopicsPerTopic + s) * dim;
      centers.set(topic, off);
      unitNoise(centers, off, spec.subtopicSpread);
      normalizeInPlace(centers, off, dim);
    }
  }
  // subtopic popularity is skewed (Zipf-like), as file and module sizes are
  const weights = Float64Array.from({ length: nSub }, (_, i) => 1 / Math.sqrt(1 + (i * 7919) % nSub));
  const cdf = new Float64Array(nSub);
  let acc = 0;
  for (let i = 0; i < nSub; i++) cdf[i] = acc += weights[i];
  const pick = (u: number) => {
    let lo = 0;
    let hi = nSub - 1;
    const x = u * acc;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const sample = (n: number, seed: number, spread: number) => {
    const next = rng(seed);
    const gn = gaussian(next);
    const out = new Float32Array(n * dim);
    const s = spread / Math.sqrt(dim);
    for (let i = 0; i < n; i++) {
      const c = pick(next()) * dim;
      const off = i * dim;
      for (let j = 0; j < dim; j++) out[off + j] = centers[c + j] + gn() * s;
      normalizeInPlace(out, off, dim);
    }
    return out;
  };
  return {
    spec,
    points: (n, seed) => sample(n, seed, spec.pointSpread),
    queries(n, seed, jitter = 0.2) {
      const q = sample(n, seed, spec.pointSpread);
      const gq = gaussian(rng(seed ^ 0x9e3779b9));
      const s = jitter / Math.sqrt(dim);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < dim; j++) q[i * dim + j] += gq() * s;
        normalizeInPlace(q, i * dim, dim);
      }
      return q;
    },
  };
}
