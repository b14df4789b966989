import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VectorIndexRef } from '../../src/manifest/manifest.js';
import { FaissIndex } from '../../src/vector/faissNative.js';
import { LoadedVectorIndex } from '../../src/vector/loadedIndex.js';
import { createMappedPagesBudget } from '../../src/vector/mappedPagesBudget.js';
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

/** Bytes of `file` mapped into this process now (the Rss of its mappings in /proc/self/smaps). */
async function mappedRss(file: string): Promise<number> {
  let bytes = 0;
  let inFile = false;
  for (const line of (await readFile('/proc/self/smaps', 'utf8')).split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) inFile = head[1] === file;
    else if (inFile && line.startsWith('Rss:')) bytes += Number(/(\d+) kB/.exec(line)![1]) * 1024;
  }
  return bytes;
}

const queryOf = (q: number) => vectors.slice(((q * 97) % N) * DIM, ((q * 97) % N) * DIM + DIM);

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

  it('releaseMapped unmaps the list pages searches touched, and the index answers the same after', async () => {
    const file = join(dir, 'primary.faiss');
    const index = FaissIndex.read(file, { mmap: true });
    try {
      index.setParam('nprobe', 64); // every list: the searches map the whole file
      const before = [];
      for (let q = 0; q < 20; q++) before.push(index.search(queryOf(q), 10));
      expect(await mappedRss(file)).toBeGreaterThan((N * DIM * 4) / 2);
      index.releaseMapped();
      expect(await mappedRss(file)).toBe(0);
      expect(index.mappedStats()!.drops).toBe(1);
      for (let q = 0; q < 20; q++) expect(index.search(queryOf(q), 10)).toEqual(before[q]);
    } finally {
      index.free();
    }
  });

  it('one search maps at most its perSearchBytes', async () => {
    const file = join(dir, 'primary.faiss');
    const index = FaissIndex.read(file, { mmap: true });
    try {
      index.setParam('nprobe', 4);
      const { perSearchBytes, mappedBytes } = index.mappedStats()!;
      expect(mappedBytes).toBe((await stat(file)).size);
      expect(perSearchBytes).toBeLessThan(mappedBytes);
      for (let q = 0; q < 20; q++) {
        index.releaseMapped();
        await index.searchAsync(queryOf(q), 10);
        const rss = await mappedRss(file);
        expect(rss).toBeGreaterThan(0);
        expect(rss).toBeLessThanOrEqual(perSearchBytes);
      }
    } finally {
      index.free();
    }
  });

  it('an index held in memory has no mapped lists', () => {
    const index = FaissIndex.read(join(dir, 'primary.faiss'));
    try {
      expect(index.mappedStats()).toBeNull();
      index.releaseMapped(); // no effect
      expect(index.search(queryOf(1), 1).labels[0]).toBe(97n);
    } finally {
      index.free();
    }
  });

  it('SEARCH_FAISS_MAPPED_MB: the mapped pages of the indexes searched stay within the budget plus one search', async () => {
    const file = join(dir, 'primary.faiss');
    const budget = createMappedPagesBudget(128 * 1024);
    const a = await LoadedVectorIndex.load(dir, ref, { nprobe: 8 }, { mmap: true, mappedPages: budget });
    const b = await LoadedVectorIndex.load(dir, ref, { nprobe: 8 }, { mmap: true, mappedPages: budget });
    const whole = await LoadedVectorIndex.load(dir, ref, { nprobe: 8 });
    try {
      const perSearch = FaissIndex.read(file, { mmap: true });
      perSearch.setParam('nprobe', 8);
      const bound = perSearch.mappedStats()!.perSearchBytes;
      perSearch.free();
      for (let q = 0; q < 40; q++) {
        const hits = await (q % 2 ? a : b).search(queryOf(q), 10);
        expect(hits).toEqual(await whole.search(queryOf(q), 10));
        // both loaded indexes map the same file: its mapped bytes are theirs together
        expect(await mappedRss(file)).toBeLessThanOrEqual(128 * 1024 + bound);
      }
      expect(budget.releases).toBeGreaterThan(0);
    } finally {
      a.free();
      b.free();
      whole.free();
    }
  });

  it('reads an ids file whose ids need JSON escapes as JSON.parse does', async () => {
    const escaped = Array.from({ length: N }, (_, i) => `chunk "${i}" \\ é`);
    await writeFile(join(dir, 'escaped.ids.json'), JSON.stringify(escaped));
    const index = await LoadedVectorIndex.load(dir, { ...ref, idsFile: 'escaped.ids.json' }, { nprobe: 8 }, { mmap: true });
    try {
      expect((await index.search(queryOf(3), 1))[0].chunkId).toBe(escaped[(3 * 97) % N]);
    } finally {
      index.free();
    }
  });
});
