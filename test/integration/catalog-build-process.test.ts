import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkId } from '../../src/chunking/chunk.js';
import type { Chunk } from '../../src/contracts/chunk.js';
import { loadCatalog, type CatalogBuildSpec } from '../../src/catalog/chunkCatalog.js';
import { createProcessCatalogBuilder, type CatalogBuildReport } from '../../src/catalog/catalogBuildProcess.js';
import { createDuckDb, type DuckDb } from '../../src/catalog/duckdb.js';
import { createParquetSink, partsDir } from '../../src/sinks/parquetSink.js';
import { testContract } from '../support/contract.js';

/**
 * CATALOG_BUILD=process: a missing catalog file is built by a short-lived
 * child process with its own DuckDB memory limit; the query process only
 * attaches the finished file, so the build's memory (which grows with the
 * corpus) is never the query process's.
 */
const WORDS = ['token', 'parse', 'config', 'loader', 'user', 'request', 'retry', 'queue', 'worker', 'cache'];

function corpus(n: number): Chunk[] {
  return Array.from({ length: n }, (_, i) => {
    const w = (k: number) => WORDS[(i * 7 + k * 3) % WORDS.length];
    const text = `export function ${w(0)}${i}(${w(1)}) {\n  // ${w(2)} the ${w(3)}\n  return ${w(4)}(${w(1)}, ${i});\n}`;
    const path = `src/${w(5)}/${w(6)}_${i % 7}.ts`;
    return { id: chunkId(path, text), path, startLine: 1 + i * 5, endLine: 4 + i * 5, language: 'typescript', symbols: [`${w(0)}${i}`], text };
  });
}

let db: DuckDb;
let dataDir: string;
let parts: string[];

beforeAll(async () => {
  db = await createDuckDb({ threads: 1, memoryLimit: '256MB' });
  dataDir = await mkdtemp(join(tmpdir(), 'catalog-build-'));
  const sink = createParquetSink({ db, dataDir, durable: false });
  const chunks = corpus(200);
  for (let b = 0; b < 2; b++) {
    const batch = chunks.slice(b * 100, b * 100 + 100);
    await sink.writeBatch({ repo: 'r', runId: 'run', batchIndex: b, chunks: batch, dense: batch.map(() => new Float32Array(4)), embedding: testContract() });
  }
  parts = [0, 1].map((b) => join(partsDir(dataDir, 'r'), `part-run-${String(b).padStart(5, '0')}.parquet`));
});
afterAll(async () => {
  await db.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** The builder, recording what each build reported. */
function recordingBuilder(opts: { memoryLimitMb: number; timeoutMs?: number }) {
  const build = createProcessCatalogBuilder({ memoryLimitMb: opts.memoryLimitMb, threads: 1, tempDir: join(dataDir, 'tmp'), timeoutMs: opts.timeoutMs ?? 120_000 });
  const reports: CatalogBuildReport[] = [];
  const specs: CatalogBuildSpec[] = [];
  return {
    reports,
    specs,
    buildFile: async (spec: CatalogBuildSpec) => {
      specs.push(spec);
      reports.push(await build(spec));
    },
  };
}

describe('catalog build in a child process', () => {
  it('builds the file in another process; the query process attaches it and answers as an in-process build does', async () => {
    const builder = recordingBuilder({ memoryLimitMb: 256 });
    const child = await loadCatalog(db, { parts, learnVocabulary: true, storeDir: join(dataDir, 'catalogs', 'child'), buildFile: builder.buildFile });
    const inline = await loadCatalog(db, { parts, learnVocabulary: true, storeDir: join(dataDir, 'catalogs', 'inline') });
    try {
      expect(builder.reports).toHaveLength(1);
      expect(builder.reports[0].pid).not.toBe(process.pid);
      expect(builder.reports[0].peakRssMb).toBeGreaterThan(0);
      expect(child.stats()).toEqual(inline.stats());
      for (const q of ['token parse', 'retry queue worker', 'cache loader']) expect(await child.bm25(q, 10)).toEqual(await inline.bm25(q, 10));
      const [hit] = await child.bm25('token', 1);
      expect((await child.hydrate([hit.chunkId]))[0].chunkId).toBe(hit.chunkId);
      // the query process's DuckDB made no table of its own: the child's file is attached read-only
      const own = await db.withConnection(async (conn) =>
        (await conn.runAndReadAll(`SELECT database_name, readonly FROM duckdb_databases() WHERE database_name LIKE 'catalog_%'`)).getRowsJS(),
      );
      expect(own.map(([, ro]) => ro)).toEqual([true, true]);
    } finally {
      await child.dispose();
      await inline.dispose();
    }
  });

  it('opens a file built before without starting a build', async () => {
    const storeDir = join(dataDir, 'catalogs', 'reuse');
    const first = recordingBuilder({ memoryLimitMb: 256 });
    await (await loadCatalog(db, { parts, storeDir, buildFile: first.buildFile })).dispose();
    const second = recordingBuilder({ memoryLimitMb: 256 });
    const again = await loadCatalog(db, { parts, storeDir, buildFile: second.buildFile });
    await again.dispose();
    expect([first.reports.length, second.reports.length]).toEqual([1, 0]);
  });

  it('a build past its memory limit fails with the retryable error naming CATALOG_BUILD_MEMORY_LIMIT_MB, and leaves no file', async () => {
    const storeDir = join(dataDir, 'catalogs', 'tiny');
    const builder = recordingBuilder({ memoryLimitMb: 2 });
    const err = await loadCatalog(db, { parts, storeDir, buildFile: builder.buildFile }).then(
      () => null,
      (e: unknown) => e as Error & { code?: string; retryable?: boolean },
    );
    expect(err?.message).toMatch(/CATALOG_BUILD_MEMORY_LIMIT_MB/);
    expect([err?.code, err?.retryable]).toEqual(['catalog-out-of-memory', true]);
    expect(await readdir(storeDir)).toEqual([]);
  });

  it('a build that outlives its timeout is killed and fails with an error naming CATALOG_BUILD_TIMEOUT_S', async () => {
    const storeDir = join(dataDir, 'catalogs', 'slow');
    const builder = recordingBuilder({ memoryLimitMb: 256, timeoutMs: 1 });
    const err = await loadCatalog(db, { parts, storeDir, buildFile: builder.buildFile }).then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.message).toMatch(/CATALOG_BUILD_TIMEOUT_S/);
    expect(err?.code).toBe('catalog-build-failed');
    expect(await readdir(storeDir)).toEqual([]);
  });
});
