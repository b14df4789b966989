import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkId } from '../../src/chunking/chunk.js';
import type { Chunk } from '../../src/contracts/chunk.js';
import { loadCatalog } from '../../src/catalog/chunkCatalog.js';
import { createDuckDb, type DuckDb } from '../../src/catalog/duckdb.js';
import { createParquetSink, partsDir } from '../../src/sinks/parquetSink.js';
import { testContract } from '../support/contract.js';

/**
 * SEARCH_CATALOG_STORE=disk: a repo's catalog is a DuckDB file on local disk,
 * attached read-only, so the buffer manager (not the JS heap, not in-memory
 * tables) decides what stays in RAM. It must answer exactly as the in-memory
 * tables do, and a file built once is opened, not rebuilt, by the next load.
 */
const WORDS = ['token', 'parse', 'config', 'loader', 'user', 'request', 'retry', 'queue', 'worker', 'cache', 'index', 'search'];

function corpus(n: number): Chunk[] {
  const out: Chunk[] = [];
  for (let i = 0; i < n; i++) {
    const w = (k: number) => WORDS[(i * 7 + k * 5) % WORDS.length];
    const text = `export function ${w(0)}${w(1)[0].toUpperCase()}${w(1).slice(1)}${i}(${w(2)}) {\n  // ${w(3)} the ${w(4)}\n  return ${w(5)}(${w(2)}, ${i});\n}`;
    const path = `src/${w(6)}/${w(7)}_${i % 9}.ts`;
    out.push({ id: chunkId(path, text), path, startLine: 1 + i * 5, endLine: 4 + i * 5, language: 'typescript', symbols: [`${w(0)}${i}`], text });
  }
  return out;
}

let db: DuckDb;
let dataDir: string;
let parts: string[];
const chunks = corpus(300);

beforeAll(async () => {
  db = await createDuckDb({ threads: 1, memoryLimit: '256MB' });
  dataDir = await mkdtemp(join(tmpdir(), 'catalog-file-'));
  const sink = createParquetSink({ db, dataDir, durable: false });
  for (let b = 0; b < 3; b++) {
    await sink.writeBatch({
      repo: 'r', runId: 'run', batchIndex: b, chunks: chunks.slice(b * 100, b * 100 + 100),
      dense: chunks.slice(b * 100, b * 100 + 100).map(() => new Float32Array(4)), embedding: testContract(),
    });
  }
  parts = [0, 1, 2].map((b) => join(partsDir(dataDir, 'r'), `part-run-${String(b).padStart(5, '0')}.parquet`));
});
afterAll(async () => {
  await db.close();
  await rm(dataDir, { recursive: true, force: true });
});

const QUERIES = ['token parse', 'config loader user', 'retry queue worker', 'cache index', 'search request token', 'user'];

describe('catalog file store', () => {
  it('ranks, hydrates and looks up exactly as the in-memory tables', async () => {
    const deletedChunkIds = [chunks[3].id, chunks[150].id];
    const memory = await loadCatalog(db, { parts, deletedChunkIds, learnVocabulary: true });
    const disk = await loadCatalog(db, { parts, deletedChunkIds, learnVocabulary: true, storeDir: join(dataDir, 'catalogs', 'same') });
    try {
      expect(disk.stats()).toEqual(memory.stats());
      for (const q of QUERIES) {
        const hits = await memory.bm25(q, 20);
        expect(hits.length).toBeGreaterThan(0);
        expect(await disk.bm25(q, 20)).toEqual(hits);
        expect(await disk.bm25(q, 20, { paths: ['src/token/**'] })).toEqual(await memory.bm25(q, 20, { paths: ['src/token/**'] }));
        const ids = hits.map((h) => h.chunkId);
        expect(await disk.hydrate(ids)).toEqual(await memory.hydrate(ids));
        expect(disk.definitions(ids)).toEqual(memory.definitions(ids));
        expect(disk.relatedTerms(q, 0.5)).toEqual(memory.relatedTerms(q, 0.5));
      }
      expect(await disk.fileChunks(chunks[10].path)).toEqual(await memory.fileChunks(chunks[10].path));
      expect(await disk.symbolChunks(chunks[20].symbols[0], 5)).toEqual(await memory.symbolChunks(chunks[20].symbols[0], 5));
      expect(await disk.hydrate([chunks[3].id])).toEqual([]);
    } finally {
      await memory.dispose();
      await disk.dispose();
    }
  });

  it('a later load, even by another process (DuckDB instance), opens the file the first one built', async () => {
    const storeDir = join(dataDir, 'catalogs', 'reuse');
    const first = await loadCatalog(db, { parts, storeDir });
    const expected = await first.bm25('token parse', 10);
    await first.dispose();
    const files = await readdir(storeDir);
    expect(files.filter((f) => f.endsWith('.duckdb'))).toHaveLength(1);

    const other = await createDuckDb({ threads: 1 });
    try {
      const again = await loadCatalog(other, { parts, storeDir });
      expect(await again.bm25('token parse', 10)).toEqual(expected);
      await again.dispose();
    } finally {
      await other.close();
    }
    expect(await readdir(storeDir)).toEqual(files);
  });

  it('a new version (other parts or deletions) gets its own file, and the older file is removed', async () => {
    const storeDir = join(dataDir, 'catalogs', 'versions');
    const v1 = await loadCatalog(db, { parts: parts.slice(0, 2), storeDir });
    const [oldFile] = await readdir(storeDir);
    const v2 = await loadCatalog(db, { parts, deletedChunkIds: [chunks[0].id], storeDir });
    try {
      const files = await readdir(storeDir);
      expect(files).toHaveLength(1);
      expect(files[0]).not.toBe(oldFile);
      // the version still serving keeps reading its (now unlinked) file until it is released
      expect(v1.count()).toBe(200);
      expect((await v1.bm25('token', 500)).length).toBeGreaterThan(0);
      expect(v2.count()).toBe(299);
    } finally {
      await v1.dispose();
      await v2.dispose();
    }
  });

  it('a disposed catalog detaches its file and refuses queries', async () => {
    const cat = await loadCatalog(db, { parts, storeDir: join(dataDir, 'catalogs', 'dispose') });
    await cat.dispose();
    await expect(cat.bm25('token', 5)).rejects.toThrow(/disposed/);
    const attached = await db.withConnection(async (conn) => (await conn.runAndReadAll(`SELECT database_name FROM duckdb_databases() WHERE database_name LIKE 'catalog_%'`)).getRowsJS());
    expect(attached).toEqual([]);
  });
});

describe('catalog file store: one version open twice', () => {
  it('a version loaded again while its released reader is still open (the grace period) serves from both', async () => {
    const storeDir = join(dataDir, 'catalogs', 'twice');
    const first = await loadCatalog(db, { parts, storeDir });
    const second = await loadCatalog(db, { parts, storeDir });
    try {
      expect(await second.bm25('retry queue', 10)).toEqual(await first.bm25('retry queue', 10));
      expect((await readdir(storeDir)).filter((f) => !f.endsWith('.duckdb'))).toEqual([]);
    } finally {
      await first.dispose();
      await second.dispose();
    }
  });
});

describe('catalog file store: a build past DuckDB’s memory limit', () => {
  it('fails with a retryable error that names the setting to raise, and leaves no file behind', async () => {
    const tiny = await createDuckDb({ threads: 1, memoryLimit: '2MB' });
    const storeDir = join(dataDir, 'catalogs', 'tiny');
    try {
      const err = await loadCatalog(tiny, { parts, storeDir }).then(() => null, (e: unknown) => e as Error & { retryable?: boolean; code?: string });
      expect(err?.message).toMatch(/DUCKDB_MEMORY_LIMIT_MB/);
      expect([err?.code, err?.retryable]).toEqual(['catalog-out-of-memory', true]);
      expect(await readdir(storeDir)).toEqual([]);
    } finally {
      await tiny.close();
    }
  });
});
