import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VectorIndexRef } from '../../src/manifest/manifest.js';
import { FaissIndex } from '../../src/vector/faissNative.js';
import { LoadedVectorIndex } from '../../src/vector/loadedIndex.js';
import { rng } from '../../src/vector/rng.mjs';

/** SEARCH_FAISS_MMAP: an IVF index read with IO_FLAG_MMAP answers as one read whole, from far less heap. */
const DIM = 32;
const N = 8_000;
let dir: string;
let ref: VectorIndexRef;
let vectors: Float32Array;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'faiss-mmap-'));
  const next = rng(5);
  vectors = Float32Array.from({ length: N * DIM }, () => next() - 0.5);
  const index = FaissIndex.create(DIM, 'IVF64,Flat', 'ip');
  index.train(vectors);
  index.add(vectors);
  index.write(join(dir, 'primary.faiss'));
  index.free();
  await writeFile(join(dir, 'primary.ids.json'), JSON.stringify(Array.from({ length: N }, (_, i) => `chunk-${i}`)));
  ref = { file: 'primary.faiss', idsFile: 'primary.ids.json', type: 'IVF64,Flat', dim: DIM, metric: 'ip', count: N, builtAt: new Date().toISOString(), trainedOn: N, nlist: 64 };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('FAISS indexes read with mmap', () => {
  it('return the same hits as the index read whole', async () => {
    const whole = await LoadedVectorIndex.load(dir, ref, { nprobe: 8 });
    const mapped = await LoadedVectorIndex.load(dir, ref, { nprobe: 8 }, { mmap: true });
    try {
      for (let q = 0; q < 20; q++) {
        const query = vectors.slice(q * 97 * DIM, q * 97 * DIM + DIM);
        const hits = await whole.search(query, 10);
        expect(hits[0].chunkId).toBe(`chunk-${q * 97}`);
        expect(await mapped.search(query, 10)).toEqual(hits);
      }
    } finally {
      whole.free();
      mapped.free();
    }
  });

  it('count only the centroids and ids as heap, where the whole read counts the file', async () => {
    const whole = await LoadedVectorIndex.load(dir, ref);
    const mapped = await LoadedVectorIndex.load(dir, ref, {}, { mmap: true });
    try {
      expect(whole.memoryBytes).toBeGreaterThan(N * DIM * 4);
      expect(mapped.memoryBytes).toBeLessThan(64 * DIM * 4 + N * 40);
    } finally {
      whole.free();
      mapped.free();
    }
  });
});
