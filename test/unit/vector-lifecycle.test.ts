import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactionDue } from '../../src/indexing/compaction.js';
import { contractChange, fileTableDigest } from '../../src/indexing/versioning.js';
import type { EmbeddingContract } from '../../src/contracts/embedding.js';
import { readFaissHeader } from '../../src/vector/faissHeader.js';
import { FaissIndex } from '../../src/vector/faissNative.js';
import { buildIndexFiles } from '../../src/vector/indexFiles.js';
import { LoadedVectorIndex } from '../../src/vector/loadedIndex.js';
import { ivfListCount, primaryIndexPolicy } from '../../src/vector/policy.js';
import { searchLive } from '../../src/vector/searchLive.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { testContract } from '../support/contract.js';

const DIM = 16;

/** Unit vectors in a few clusters, deterministic. */
function clustered(n: number, seed = 1): Float32Array {
  let s = seed;
  const next = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  const centers = Array.from({ length: 8 }, () => Float32Array.from({ length: DIM }, next));
  const out = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const c = centers[i % centers.length];
    let norm = 0;
    for (let j = 0; j < DIM; j++) {
      out[i * DIM + j] = c[j] + 0.3 * next();
      norm += out[i * DIM + j] ** 2;
    }
    for (let j = 0; j < DIM; j++) out[i * DIM + j] /= Math.sqrt(norm);
  }
  return out;
}

let dir: string;
beforeAll(async () => {
  dir = await makeTmpDir('codeintel-vec-');
});
afterAll(() => removeDir(dir));

describe('FAISS file headers', () => {
  it.each(['Flat', 'IVF4,Flat', 'HNSW8', 'IVF4,PQ4x4', 'IDMap2,Flat'])('reads the dimension and count of a %s index without loading it', async (factory) => {
    const index = FaissIndex.create(DIM, factory, 'ip');
    const x = clustered(200);
    if (!index.isTrained) index.train(x);
    if (factory.startsWith('IDMap')) index.addWithIds(x, BigInt64Array.from({ length: 200 }, (_, i) => BigInt(i)));
    else index.add(x);
    const file = path.join(dir, `${factory.replace(/\W/g, '_')}.index`);
    index.write(file);
    index.free();
    const header = await readFaissHeader(file);
    expect(header.dim).toBe(DIM);
    expect(header.ntotal).toBe(200);
  });

  it('refuses a file that is not a FAISS index', async () => {
    const file = path.join(dir, 'not-an-index');
    await fs.writeFile(file, '{"hello": "world"}');
    await expect(readFaissHeader(file)).rejects.toThrow(/FAISS/);
  });
});

describe('building index files', () => {
  it('trains an IVF index on a worker thread with a sample and finds every vector it holds', async () => {
    const n = 600;
    const x = clustered(n, 7);
    const ids = Array.from({ length: n }, (_, i) => `c${i}`);
    const queries = x.slice(0, 20 * DIM);
    const ref = await buildIndexFiles({ repoDir: dir, name: 'faiss/ivf-test', factory: 'IVF8,Flat', dim: DIM, ids, vectors: x, trainSize: 320, nlist: 8, params: { nprobe: 8 } });
    expect(ref).toMatchObject({ file: 'faiss/ivf-test.index', idsFile: 'faiss/ivf-test.ids.json', type: 'IVF8,Flat', count: n, trainedOn: 320, nlist: 8 });
    // the buffer went to the worker: the build cannot have read a half-overwritten copy
    const loaded = await LoadedVectorIndex.load(dir, ref, { nprobe: 8 });
    try {
      for (let q = 0; q < 20; q++) {
        const hits = await loaded.search(queries.subarray(q * DIM, (q + 1) * DIM), 1);
        expect(hits[0].chunkId).toBe(`c${q}`);
      }
    } finally {
      loaded.free();
    }
    expect((await fs.readdir(path.join(dir, 'faiss'))).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('fails clearly, leaving no file behind, when the index type cannot be built', async () => {
    const x = clustered(10);
    await expect(
      buildIndexFiles({ repoDir: dir, name: 'faiss/bad', factory: 'IVF64,Flat', dim: DIM, ids: Array.from({ length: 10 }, (_, i) => `c${i}`), vectors: x }),
    ).rejects.toThrow(/IVF64,Flat/);
    expect((await fs.readdir(path.join(dir, 'faiss'))).filter((f) => f.startsWith('bad'))).toEqual([]);
  });
});

describe('the primary index policy', () => {
  const policy = primaryIndexPolicy({ flatMax: 50_000, nprobe: 16, compactMinSecondary: 20_000, compactFraction: 0.2, gcGraceS: 600 });

  it('keeps exact Flat up to FAISS_FLAT_MAX and picks IVF-Flat with ~4*sqrt(n) lists above it', () => {
    expect(policy.choose(50_000, 384)).toEqual({ factory: 'Flat' });
    expect(policy.choose(100_000, 384)).toMatchObject({ factory: 'IVF1024,Flat', nlist: 1024, trainSize: 40_960, params: { nprobe: 16 } });
    expect(policy.choose(1_000_000, 384)).toMatchObject({ factory: 'IVF4096,Flat', nlist: 4096, trainSize: 163_840 });
    expect(policy.choose(50_000_000, 384).nlist).toBe(4096);
  });

  it('never asks for more lists than the vectors can train (39 per list)', () => {
    expect(ivfListCount(300)).toBe(7);
    expect(ivfListCount(20)).toBe(1);
  });
});

describe('searching past deleted and repeated chunks', () => {
  /** A fake index over a fixed ranking, counting how often it is asked. */
  function ranked(ids: string[]) {
    const calls: number[] = [];
    return {
      calls,
      size: ids.length,
      async search(_q: Float32Array, k: number) {
        calls.push(k);
        return ids.slice(0, k).map((chunkId, i) => ({ chunkId, score: 1 - i / 100 }));
      },
    };
  }

  it('asks again for more until it has enough live, distinct chunks', async () => {
    const index = ranked(['d1', 'a', 'd2', 'a', 'd3', 'b', 'd4', 'c', 'e', 'f']);
    const hits = await searchLive(index, new Float32Array(DIM), 3, (id) => id.startsWith('d'));
    expect(hits.map((h) => h.chunkId)).toEqual(['a', 'b', 'c']);
    expect(index.calls).toEqual([3, 10]);
  });

  it('returns what there is once the whole index was seen', async () => {
    const index = ranked(['d1', 'a', 'd2']);
    expect((await searchLive(index, new Float32Array(DIM), 5, (id) => id.startsWith('d'))).map((h) => h.chunkId)).toEqual(['a']);
  });
});

describe('when to compact', () => {
  const faiss = { compactMinSecondary: 1000, compactFraction: 0.2 };
  const m = (primary: number, secondary: number, deleted = 0) => ({
    vectors: {
      primary: primary ? ({ count: primary } as never) : null,
      secondary: secondary ? ({ count: secondary } as never) : null,
    },
    deletedChunkIds: Array.from({ length: deleted }, (_, i) => `x${i}`),
  });

  it('waits while the secondary is small against the primary', () => {
    expect(compactionDue(m(10_000, 0), faiss)).toBeNull();
    expect(compactionDue(m(10_000, 500, 100), faiss)).toBeNull();
  });
  it('compacts when the secondary passes the count or the fraction, deleted vectors included', () => {
    expect(compactionDue(m(100_000, 1000), faiss)).toMatch(/FAISS_COMPACT_MIN_SECONDARY=1000/);
    expect(compactionDue(m(1000, 150, 60), faiss)).toMatch(/FAISS_COMPACT_FRACTION=0.2/);
  });
});

describe('version bookkeeping', () => {
  const contract: EmbeddingContract = testContract({ model: 'a', provider: 'onnx', dim: 384, queryInstruction: 'q' });

  it('sees a new model, dimension, provider, pooling or normalisation, but not a new query instruction', () => {
    expect(contractChange(contract, { ...contract, queryInstruction: 'other' })).toBeNull();
    expect(contractChange(contract, { ...contract, model: 'b' })).toMatch(/from a \(384-d\) to b \(384-d\)/);
    expect(contractChange(contract, { ...contract, dim: 768 })).toMatch(/768-d/);
    expect(contractChange(contract, { ...contract, pooling: 'cls' })).toMatch(/pooling/);
    expect(contractChange(contract, { ...contract, normalize: false })).toMatch(/normalisation/);
  });

  it('digests a file table by paths and content hashes only, in any order', () => {
    const a = { 'x.py': { hash: '1', language: 'python', chunkIds: ['c1'] }, 'y.py': { hash: '2', language: 'python', chunkIds: [] } };
    const b = { 'y.py': { hash: '2', language: 'python', chunkIds: ['other'] }, 'x.py': { hash: '1', language: 'python', chunkIds: ['c1'] } };
    expect(fileTableDigest(a)).toBe(fileTableDigest(b));
    expect(fileTableDigest(a)).not.toBe(fileTableDigest({ ...a, 'x.py': { ...a['x.py'], hash: '3' } }));
  });
});
