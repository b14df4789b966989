import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chunkId } from '../../src/chunking/chunk.js';
import { type Chunk } from '../../src/contracts/chunk.js';
import { createDuckDb, type DuckDb } from '../../src/catalog/duckdb.js';
import type { EmbeddingContract } from '../../src/contracts/embedding.js';
import { createParquetSink, partsDir, readPartMetadata } from '../../src/sinks/parquetSink.js';
import type { EncodedBatch } from '../../src/sinks/port.js';
import { testContract } from '../support/contract.js';

const DIM = 8;

const contract: EmbeddingContract = testContract({ model: "test-model 'quoted'", dim: DIM, queryInstruction: 'Represent this query: ' });

function chunk(path: string, text: string, symbols: string[] = [], startLine = 1): Chunk {
  return { id: chunkId(path, text), path, startLine, endLine: startLine + text.split('\n').length - 1, language: 'typescript', symbols, text };
}

function vector(seed: number): Float32Array {
  return Float32Array.from({ length: DIM }, (_, i) => seed + i / 10);
}

function batch(overrides: Partial<EncodedBatch> = {}): EncodedBatch {
  const chunks = [
    chunk('src/config.ts', 'export function parseConfig(text: string) {\n  return JSON.parse(text);\n}', ['parseConfig']),
    chunk('src/server.ts', 'const server = createServer(handler);', [], 10),
    chunk('README.md', 'Intro text for the project.', []),
  ];
  return {
    repo: 'demo',
    runId: 'run1',
    batchIndex: 7,
    chunks,
    dense: chunks.map((_, i) => vector(i)),
    sparse: [{ parse: 0.8, config: 0.6 }, { server: 1 }, {}],
    embedding: contract,
    sparseContract: { model: 'naver/splade-v3', topK: 128, minWeight: 0.01 },
    ...overrides,
  };
}

let db: DuckDb;
let dataDir: string;

beforeAll(async () => {
  db = await createDuckDb({ threads: 1 });
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parquet-sink-'));
  return () => rm(dataDir, { recursive: true, force: true });
});

async function query(sql: string, params: string[] = []) {
  return db.withConnection(async (c) => (await c.runAndReadAll(sql, params)).getRowObjectsJS());
}

describe('parquet sink', () => {
  it('writes one part per run and batch, named with a 5-digit batch index', async () => {
    const sink = createParquetSink({ db, dataDir });
    const result = await sink.writeBatch(batch());

    expect(result).toEqual({ written: 3, ref: 'parts/part-run1-00007.parquet' });
    expect(await readdir(partsDir(dataDir, 'demo'))).toEqual(['part-run1-00007.parquet']);
  });

  it('stores chunk fields, BM25F field terms, embeddings and SPLADE maps that read back as written', async () => {
    const sink = createParquetSink({ db, dataDir });
    const b = batch();
    await sink.writeBatch(b);
    const file = join(partsDir(dataDir, 'demo'), 'part-run1-00007.parquet');

    const rows = await query(
      `SELECT chunk_id, repo, path, start_line, end_line, language, symbols, content, doc_len,
              terms['parseconfig'] AS tf_parseconfig, terms['config'] AS tf_config, terms['pars'] AS tf_parse,
              embedding, splade['parse'] AS w_parse, cardinality(splade)::INTEGER AS splade_terms,
              list_sort(map_keys(symbol_terms)) AS symbol_keys, list_sort(map_keys(signature_terms)) AS signature_keys,
              list_sort(map_keys(path_terms)) AS path_keys, cardinality(doc_terms)::INTEGER AS doc_term_count
       FROM read_parquet($1) ORDER BY start_line, path`,
      [file],
    );
    expect(rows).toHaveLength(3);
    const config = rows.find((r) => r.path === 'src/config.ts')!;
    expect(config).toMatchObject({
      chunk_id: b.chunks[0].id,
      repo: 'demo',
      start_line: 1,
      end_line: 3,
      language: 'typescript',
      symbols: ['parseConfig'],
      content: b.chunks[0].text,
      // the body field is the text alone: "parseConfig" once
      tf_parseconfig: 1,
      tf_config: 1,
      tf_parse: 2, // parseConfig once, JSON.parse once
      splade_terms: 2,
    });
    // the other fields: the symbol's name, its definition line, the path; no doc comment
    expect(config.symbol_keys).toEqual(['config', 'pars', 'parseconfig']);
    expect(config.signature_keys).toEqual(['config', 'export', 'function', 'pars', 'parseconfig', 'string', 'text']);
    expect(config.path_keys).toEqual(['config', 'src', 'ts']);
    expect(config.doc_term_count).toBe(0);
    expect(config.w_parse).toBeCloseTo(0.8, 6);
    expect(config.embedding).toEqual(Array.from(vector(0)));
    // doc_len is the body's BM25 token count
    const dl = (await query(`SELECT sum(v)::INTEGER AS s FROM (SELECT unnest(map_values(terms)) AS v FROM read_parquet($1) WHERE path = 'src/config.ts')`, [file]))[0].s;
    expect(config.doc_len).toBe(dl);
  });

  it('keeps the vectors FLOAT and every row exactly dim wide', async () => {
    const sink = createParquetSink({ db, dataDir });
    await sink.writeBatch(batch());
    const file = join(partsDir(dataDir, 'demo'), 'part-run1-00007.parquet');

    const leaf = await query(`SELECT type FROM parquet_schema($1) WHERE name = 'element' AND type = 'FLOAT'`, [file]);
    expect(leaf.length).toBeGreaterThan(0);
    const [cast] = await query(`SELECT typeof(embedding::FLOAT[${DIM}]) AS t, min(len(embedding))::INTEGER AS lo, max(len(embedding))::INTEGER AS hi FROM read_parquet($1) GROUP BY ALL`, [file]);
    expect(cast).toEqual({ t: `FLOAT[${DIM}]`, lo: DIM, hi: DIM });
  });

  it('compresses every column with zstd', async () => {
    const sink = createParquetSink({ db, dataDir });
    await sink.writeBatch(batch());
    const file = join(partsDir(dataDir, 'demo'), 'part-run1-00007.parquet');

    const codecs = await query(`SELECT DISTINCT compression FROM parquet_metadata($1)`, [file]);
    expect(codecs).toEqual([{ compression: 'ZSTD' }]);
  });

  it('records the embedding and SPLADE contracts as key-value metadata', async () => {
    const sink = createParquetSink({ db, dataDir });
    const before = Date.now();
    await sink.writeBatch(batch());
    const meta = await readPartMetadata(db, join(partsDir(dataDir, 'demo'), 'part-run1-00007.parquet'));

    expect(meta.kv).toMatchObject({
      embedding_model: "test-model 'quoted'",
      embedding_provider: 'hashing',
      embedding_dim: '8',
      embedding_pooling: 'mean',
      embedding_normalize: 'true',
      embedding_query_instruction: 'Represent this query: ',
      splade_model: 'naver/splade-v3',
      splade_top_k: '128',
      splade_min_weight: '0.01',
    });
    expect(Date.parse(meta.kv.created_at)).toBeGreaterThanOrEqual(before - 1000);
    expect(meta.rowCount).toBe(3);
    expect(meta.embeddingWidth).toBe(DIM);
  });

  it('writes NULL SPLADE maps and empty SPLADE metadata when the batch has no sparse vectors', async () => {
    const sink = createParquetSink({ db, dataDir });
    await sink.writeBatch(batch({ sparse: undefined, sparseContract: undefined }));
    const file = join(partsDir(dataDir, 'demo'), 'part-run1-00007.parquet');

    const [row] = await query(`SELECT count(*)::INTEGER AS n, count(splade)::INTEGER AS with_splade FROM read_parquet($1)`, [file]);
    expect(row).toEqual({ n: 3, with_splade: 0 });
    expect((await readPartMetadata(db, file)).kv.splade_model).toBe('');
  });

  it('is idempotent: a second write of the same batch writes nothing and leaves the part untouched', async () => {
    const sink = createParquetSink({ db, dataDir });
    const first = await sink.writeBatch(batch());
    const file = join(partsDir(dataDir, 'demo'), 'part-run1-00007.parquet');
    const bytes = await readFile(file);
    const mtime = (await stat(file)).mtimeMs;

    const second = await sink.writeBatch(batch());

    expect(second).toEqual({ written: 0, ref: first.ref });
    expect((await readFile(file)).equals(bytes)).toBe(true);
    expect((await stat(file)).mtimeMs).toBe(mtime);
  });

  it('leaves no temp files behind', async () => {
    const sink = createParquetSink({ db, dataDir });
    await sink.writeBatch(batch());
    await sink.writeBatch(batch({ batchIndex: 8 }));

    expect((await readdir(partsDir(dataDir, 'demo'))).sort()).toEqual(['part-run1-00007.parquet', 'part-run1-00008.parquet']);
  });

  it('fails a batch whose vectors do not match the contract without leaving a part at the final name', async () => {
    const sink = createParquetSink({ db, dataDir });
    const bad = batch();
    bad.dense[2] = new Float32Array(DIM - 1);

    await expect(sink.writeBatch(bad)).rejects.toThrow(/7 dims, contract says 8/);
    const left = await readdir(partsDir(dataDir, 'demo')).catch(() => []);
    expect(left).toEqual([]);

    // and the retry with a good batch then writes it
    expect((await sink.writeBatch(batch())).written).toBe(3);
  });

  it('removes its temp file and publishes nothing when the write fails after DuckDB wrote the data', async () => {
    // The COPY really runs and leaves a complete temp file; then the connection work fails (disk full, say).
    const failing: DuckDb = {
      withConnection: (fn) =>
        db.withConnection(async (conn) => {
          await fn(conn);
          throw new Error('No space left on device');
        }),
      close: async () => {},
    };
    const sink = createParquetSink({ db: failing, dataDir });

    await expect(sink.writeBatch(batch())).rejects.toThrow(/No space left/);
    expect(await readdir(partsDir(dataDir, 'demo'))).toEqual([]);
  });

  it('rejects line numbers that do not fit the INTEGER columns instead of wrapping them', async () => {
    const sink = createParquetSink({ db, dataDir });
    const bad = batch();
    bad.chunks[1] = { ...bad.chunks[1], startLine: 2 ** 40 };

    await expect(sink.writeBatch(bad)).rejects.toThrow(/line/);
  });

  it('refuses repo names and run ids that could escape the data directory', async () => {
    const sink = createParquetSink({ db, dataDir });
    await expect(sink.writeBatch(batch({ repo: '..' }))).rejects.toThrow(/unsafe repo/);
    await expect(sink.writeBatch(batch({ runId: '../x' }))).rejects.toThrow(/unsafe runId/);
  });
});
