import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaissIndex, faissVersion, trimNativeHeap, type SearchResult } from '../../src/vector/faissNative.js';

interface BuildResult {
  action: 'built' | 'up-to-date';
  reason?: string;
  output: string;
  ms: number;
}
interface BuildModule {
  buildNative(options?: { force?: boolean; log?: (line: string) => void; faissHeader?: string }): Promise<BuildResult>;
}
// Imported by URL so the untyped .mjs does not need a declaration file.
const buildScript = new URL('../../scripts/build-native.mjs', import.meta.url).href;
const loadBuilder = async () => (await import(buildScript)) as BuildModule;

/** Deterministic uniform [0, 1) generator (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomVectors(n: number, dim: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: n * dim }, () => next() * 2 - 1);
}

/** Fraction of the true top-k labels that `got` also returned, over all queries. */
function recallAtK(truth: SearchResult, got: SearchResult, k: number): number {
  const nq = truth.labels.length / k;
  let hits = 0;
  for (let q = 0; q < nq; q++) {
    const want = new Set(truth.labels.subarray(q * k, (q + 1) * k));
    for (const label of got.labels.subarray(q * k, (q + 1) * k)) if (want.has(label)) hits++;
  }
  return hits / (nq * k);
}

function row(vectors: Float32Array, i: number, dim: number): Float32Array {
  return vectors.slice(i * dim, (i + 1) * dim);
}

const DIM = 16;

beforeAll(async () => {
  // No-op when the addon is up to date; compiles it (a few seconds) otherwise.
  await (await loadBuilder()).buildNative({ log: () => {} });
}, 300_000);

describe('build-native script', () => {
  it('is a quick no-op when the sources did not change', async () => {
    const result = await (await loadBuilder()).buildNative({ log: () => {} });
    expect(result.action).toBe('up-to-date');
    expect(result.ms).toBeLessThan(1000);
  });

  it('tells the user which packages to install when the FAISS headers are missing', async () => {
    const builder = await loadBuilder();
    await expect(
      builder.buildNative({ force: true, log: () => {}, faissHeader: '/nonexistent/faiss/Index.h' }),
    ).rejects.toThrow('apt-get install libfaiss-dev libopenblas-dev');
  });
});

describe('FaissIndex (native addon)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'faiss-native-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('reports the libfaiss version it was compiled against', () => {
    expect(faissVersion()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('trimNativeHeap hands freed native memory back and leaves live indexes intact', () => {
    const base = randomVectors(2000, DIM, 3);
    const index = FaissIndex.create(DIM, 'Flat', 'ip');
    index.add(base);
    const before = index.search(base.slice(0, DIM * 5), 3);
    // many small native allocations, freed: glibc keeps their pages until trimmed
    for (let i = 0; i < 200; i++) {
      const scratch = FaissIndex.create(DIM, 'Flat', 'ip');
      scratch.add(base.slice(0, DIM * 100));
      scratch.free();
    }
    expect(typeof trimNativeHeap()).toBe('boolean');
    expect(index.search(base.slice(0, DIM * 5), 3)).toEqual(before);
    index.free();
  });

  it('finds the exact inner-product nearest neighbour with a Flat index', () => {
    const n = 500;
    const base = randomVectors(n, DIM, 1);
    const index = FaissIndex.create(DIM, 'Flat', 'ip');
    index.add(base);
    expect(index.dim).toBe(DIM);
    expect(index.ntotal).toBe(n);
    expect(index.isTrained).toBe(true);

    const queries = randomVectors(20, DIM, 2);
    const { distances, labels } = index.search(queries, 3);
    for (let q = 0; q < 20; q++) {
      let best = -1;
      let bestScore = -Infinity;
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let j = 0; j < DIM; j++) dot += queries[q * DIM + j] * base[i * DIM + j];
        if (dot > bestScore) [best, bestScore] = [i, dot];
      }
      expect(labels[q * 3]).toBe(BigInt(best));
      expect(distances[q * 3]).toBeCloseTo(bestScore, 4);
      expect(distances[q * 3]).toBeGreaterThanOrEqual(distances[q * 3 + 1]); // IP: best first
    }
    index.free();
  });

  it('returns the caller ids given to addWithIds, including ids beyond 2^53', () => {
    const base = randomVectors(3, DIM, 3);
    const ids = new BigInt64Array([2n ** 60n + 7n, 42n, -5n]);
    const index = FaissIndex.create(DIM, 'IDMap2,Flat', 'l2');
    index.addWithIds(base, ids);

    const { labels, distances } = index.search(base, 1);
    expect(Array.from(labels)).toEqual(Array.from(ids));
    expect(Array.from(distances)).toEqual([0, 0, 0]);
    expect(Array.from(index.reconstruct(42n))).toEqual(Array.from(row(base, 1, DIM)));
    index.free();
  });

  it('pads with label -1 when k exceeds the number of stored vectors', () => {
    const index = FaissIndex.create(DIM, 'Flat', 'l2');
    index.add(randomVectors(2, DIM, 4));
    const { labels } = index.search(randomVectors(1, DIM, 5), 4);
    expect(labels.slice(2)).toEqual(new BigInt64Array([-1n, -1n]));
    index.free();
  });

  it('removeIds removes exactly the listed ids and reports how many were present', () => {
    const base = randomVectors(10, DIM, 6);
    const ids = BigInt64Array.from({ length: 10 }, (_, i) => BigInt(100 + i));
    const index = FaissIndex.create(DIM, 'IDMap2,Flat', 'l2');
    index.addWithIds(base, ids);

    expect(index.removeIds(new BigInt64Array([103n, 107n, 999n]))).toBe(2);
    expect(index.ntotal).toBe(8);
    const { labels } = index.search(base, 10);
    expect(labels).not.toContain(103n);
    expect(labels).not.toContain(107n);
    expect(labels).toContain(104n);
    expect(() => index.reconstruct(103n)).toThrow(/not in the index/);
    index.free();
  });

  it('write then read gives an index with identical search results', () => {
    const base = randomVectors(1000, DIM, 7);
    const queries = randomVectors(25, DIM, 8);
    const index = FaissIndex.create(DIM, 'IDMap2,IVF8,Flat', 'l2');
    index.train(base);
    index.addWithIds(base, BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(i * 3)));
    index.setParam('nprobe', 3);
    const before = index.search(queries, 5);

    const file = path.join(tmp, 'roundtrip.faiss');
    index.write(file);
    const loaded = FaissIndex.read(file);
    loaded.setParam('nprobe', 3); // search-time params are not persisted
    expect(loaded.ntotal).toBe(1000);
    expect(loaded.dim).toBe(DIM);
    expect(loaded.search(queries, 5)).toEqual(before);
    index.free();
    loaded.free();
  });

  it('IVF recall rises from partial at nprobe=1 to exact at nprobe=nlist (setParam reaches the index)', () => {
    const nlist = 16;
    const base = randomVectors(4000, DIM, 9);
    const queries = randomVectors(100, DIM, 10);
    const exact = FaissIndex.create(DIM, 'Flat', 'l2');
    exact.add(base);
    const truth = exact.search(queries, 10);

    const ivf = FaissIndex.create(DIM, `IVF${nlist},Flat`, 'l2');
    expect(ivf.isTrained).toBe(false);
    ivf.train(base);
    expect(ivf.isTrained).toBe(true);
    ivf.add(base);

    ivf.setParam('nprobe', 1);
    const narrow = recallAtK(truth, ivf.search(queries, 10), 10);
    ivf.setParam('nprobe', nlist);
    const full = recallAtK(truth, ivf.search(queries, 10), 10);
    expect(narrow).toBeLessThan(0.9);
    expect(full).toBe(1);
    exact.free();
    ivf.free();
  });

  it('HNSW efSearch trades speed for recall and parameters the index lacks are rejected', () => {
    const base = randomVectors(3000, DIM * 2, 11);
    const queries = randomVectors(100, DIM * 2, 12);
    const exact = FaissIndex.create(DIM * 2, 'Flat', 'l2');
    exact.add(base);
    const truth = exact.search(queries, 1);

    const hnsw = FaissIndex.create(DIM * 2, 'HNSW16', 'l2');
    hnsw.add(base);
    hnsw.setParam('efSearch', 1);
    const greedy = recallAtK(truth, hnsw.search(queries, 1), 1);
    hnsw.setParam('efSearch', 256);
    const wide = recallAtK(truth, hnsw.search(queries, 1), 1);
    expect(wide).toBeGreaterThanOrEqual(0.95);
    expect(greedy).toBeLessThan(wide - 0.2);
    expect(() => hnsw.setParam('nprobe', 4)).toThrow(/could not set parameter nprobe/);
    exact.free();
    hnsw.free();
  });

  it('searchAsync resolves to the same results as search', async () => {
    const base = randomVectors(2000, DIM, 13);
    const queries = randomVectors(50, DIM, 14);
    const index = FaissIndex.create(DIM, 'HNSW16', 'ip');
    index.add(base);
    const sync = index.search(queries, 7);
    const [a, b] = await Promise.all([index.searchAsync(queries, 7), index.searchAsync(queries, 7)]);
    expect(a).toEqual(sync);
    expect(b).toEqual(sync);
    index.free();
  });

  it('searchAsync uses the queries as they were at call time and survives free()', async () => {
    const base = randomVectors(100, DIM, 15);
    const index = FaissIndex.create(DIM, 'Flat', 'l2');
    index.add(base);
    const query = row(base, 17, DIM);
    const pending = index.searchAsync(query, 1);
    query.fill(0); // the caller may reuse its buffer at once
    index.free(); // native memory is released once the running search is done
    expect((await pending).labels).toEqual(new BigInt64Array([17n]));
    expect(() => index.ntotal).toThrow(/freed/);
  });

  describe('bad input throws an Error with an actionable message instead of crashing', () => {
    const index = () => {
      const ix = FaissIndex.create(DIM, 'Flat', 'l2');
      ix.add(randomVectors(4, DIM, 16));
      return ix;
    };

    it('vectors whose length is not a multiple of dim', () => {
      expect(() => index().add(new Float32Array(DIM + 1))).toThrow(RangeError);
      expect(() => index().search(new Float32Array(DIM - 1), 1)).toThrow(/not a multiple of dim \(16\)/);
    });

    it('k below 1 or not an integer', () => {
      expect(() => index().search(new Float32Array(DIM), 0)).toThrow(/k must be an integer in \[1, /);
      expect(() => index().search(new Float32Array(DIM), 1.5)).toThrow(RangeError);
    });

    it('rejects (not throws) from searchAsync', async () => {
      const ix = index();
      const pending = ix.searchAsync(new Float32Array(DIM), 0);
      await expect(pending).rejects.toThrow(/k must be an integer/);
    });

    it('wrong buffer types', () => {
      const asAny = index() as unknown as { add(v: unknown): void; removeIds(ids: unknown): number };
      expect(() => asAny.add([1, 2, 3])).toThrow(/must be a Float32Array/);
      expect(() => asAny.removeIds(new Int32Array(1))).toThrow(/must be a BigInt64Array/);
    });

    it('ids whose count differs from the number of vectors', () => {
      const ix = FaissIndex.create(DIM, 'IDMap2,Flat', 'l2');
      expect(() => ix.addWithIds(new Float32Array(DIM * 2), new BigInt64Array(1))).toThrow(
        /ids.length \(1\) must equal the number of vectors \(2\)/,
      );
    });

    it('adding to an untrained IVF index', () => {
      const ivf = FaissIndex.create(DIM, 'IVF4,Flat', 'l2');
      expect(() => ivf.add(randomVectors(10, DIM, 17))).toThrow(/not trained; call train\(\)/);
      expect(ivf.ntotal).toBe(0);
    });

    it('faiss-level failures: bad factory, add without ids on IDMap2, missing file, unsupported remove', () => {
      expect(() => FaissIndex.create(DIM, 'NoSuchIndex', 'l2')).toThrow(/faiss create failed/);
      expect(() => FaissIndex.create(DIM, 'Flat', 'cosine' as never)).toThrow(/metric must be 'ip' or 'l2'/);
      expect(() => FaissIndex.create(DIM, 'IDMap2,Flat', 'l2').add(new Float32Array(DIM))).toThrow(
        /use add_with_ids/,
      );
      expect(() => FaissIndex.read('/nonexistent/index.faiss')).toThrow(/faiss read failed/);
      const hnsw = FaissIndex.create(DIM, 'HNSW8', 'l2');
      hnsw.add(randomVectors(4, DIM, 18));
      expect(() => hnsw.removeIds(new BigInt64Array([0n]))).toThrow(/faiss removeIds failed/);
    });

    it('reconstruct of a position outside the index', () => {
      expect(() => index().reconstruct(4)).toThrow(/out of range \[0, 4\)/);
    });

    it('any use after free()', () => {
      const ix = index();
      ix.free();
      expect(() => ix.search(new Float32Array(DIM), 1)).toThrow(/has been freed/);
    });
  });
});
