import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../artifacts/atomicWrite.js';
import {
  ARRAY,
  DuckDBDataChunk,
  FLOAT,
  INTEGER,
  LIST,
  VARCHAR,
  arrayValue,
  listValue,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { sqlIdent, sqlString, type DuckDb } from '../catalog/duckdb.js';
import type { EmbeddingContract } from '../contracts/embedding.js';
import { tokenize } from '../text/codeTokenizer.js';
import { definitionLines } from '../chunking/signature.js';
import { classifyFile } from '../repo/fileRole.js';
import type { SparseContract } from '../contracts/sparse.js';
import type { EncodedBatch, Sink, SinkWriteResult } from './port.js';
import type { ManifestStore } from '../manifest/store.js';

/**
 * The Parquet sink: one immutable part per (run, batch), written next to its
 * final name and renamed into place, so a reader never sees half a part and a
 * retried job finds the part already there.
 */

export interface ParquetSinkOptions {
  db: DuckDb;
  /** Root of the data directory; parts go under `repos/<repo>/parts/`. */
  dataDir: string;
  /** fsync the part and its directory before reporting success (default true). */
  durable?: boolean;
  /**
   * Where committed parts live when that is not `dataDir` (an object store): the part is
   * written at its `repoDir`, then published. Absent: parts stay under `dataDir`.
   */
  committed?: Pick<ManifestStore, 'repoDir' | 'hasFile' | 'publish'>;
}

/** DuckDB's vector size: a data chunk holds at most this many rows. */
const CHUNK_ROWS = 2048;

/** `<dataDir>/repos/<repo>/parts`; the manifest lists parts relative to the repo dir, as `parts/<file>`. */
export function partsDir(dataDir: string, repo: string): string {
  return join(dataDir, 'repos', safeRepoSegment(repo), 'parts');
}

export function partFileName(runId: string, batchIndex: number): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(runId)) throw new Error(`unsafe runId for a file name: ${JSON.stringify(runId)}`);
  if (!Number.isSafeInteger(batchIndex) || batchIndex < 0) throw new Error(`bad batchIndex: ${batchIndex}`);
  return `part-${runId}-${String(batchIndex).padStart(5, '0')}.parquet`;
}

/** The manifest store validates repo names too; this only refuses what could escape the data dir. */
function safeRepoSegment(repo: string): string {
  if (repo === '' || repo === '.' || repo === '..' || /[/\\\0]/.test(repo)) {
    throw new Error(`unsafe repo name for a path: ${JSON.stringify(repo)}`);
  }
  return repo;
}

export function createParquetSink(opts: ParquetSinkOptions): Sink {
  const { db, dataDir, committed } = opts;
  const durable = opts.durable ?? true;
  const dirOf = (repo: string) => (committed ? join(committed.repoDir(safeRepoSegment(repo)), 'parts') : partsDir(dataDir, repo));

  return {
    name: 'parquet',
    async init(_contract: EmbeddingContract) {
      // with a committed store, each part's directory is made when the part is written
      if (!committed) await mkdir(join(dataDir, 'repos'), { recursive: true });
    },

    async writeBatch(batch: EncodedBatch): Promise<SinkWriteResult> {
      const dir = dirOf(batch.repo);
      const name = partFileName(batch.runId, batch.batchIndex);
      // Relative to the repo directory, as the manifest lists parts.
      const ref = `parts/${name}`;
      const finalPath = join(dir, name);
      if (committed ? await committed.hasFile(batch.repo, ref) : await exists(finalPath)) return { written: 0, ref };

      // Checked before anything touches the disk: a bad batch writes nothing.
      validateBatch(batch);
      await mkdir(dir, { recursive: true });
      // Hidden and suffixed so part listings (part-*.parquet) never pick it up
      // and two writers never share one; a crash can leave one behind, never a
      // half part at the final name.
      const tmpPath = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      try {
        await db.withConnection((conn) => copyBatchToParquet(conn, batch, tmpPath));
        if (durable) await fsyncPath(tmpPath);
        // rename is atomic within a directory. A concurrent writer of the same
        // batch may win the race; its part holds the same rows, so either is fine.
        await rename(tmpPath, finalPath);
        if (durable) await fsyncPath(dir);
      } catch (err) {
        await rm(tmpPath, { force: true });
        throw err;
      }
      // reported written only once it is where the committer (perhaps on another host) reads it
      await committed?.publish(batch.repo, ref);
      return { written: batch.chunks.length, ref };
    },

    // Parts are immutable: deletions are recorded in the manifest, and the
    // catalog excludes those chunk ids when it loads the parts.
    async deleteChunks() {},

    async health() {
      try {
        await db.withConnection((conn) => conn.run('SELECT 1'));
        return { ok: true };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },

    async close() {},
  };
}

function validateBatch(batch: EncodedBatch): void {
  const { chunks, dense, sparse, embedding } = batch;
  if (dense.length !== chunks.length) throw new Error(`dense has ${dense.length} rows for ${chunks.length} chunks`);
  if (sparse && sparse.length !== chunks.length) throw new Error(`sparse has ${sparse.length} rows for ${chunks.length} chunks`);
  for (const c of chunks) {
    // Int32 columns would silently wrap anything larger.
    if (!isLine(c.startLine) || !isLine(c.endLine)) throw new Error(`chunk ${c.id}: bad line range ${c.startLine}-${c.endLine}`);
  }
  for (let i = 0; i < dense.length; i++) {
    const v = dense[i];
    if (v.length !== embedding.dim) {
      throw new Error(`chunk ${chunks[i].id}: vector has ${v.length} dims, contract says ${embedding.dim}`);
    }
    for (let j = 0; j < v.length; j++) {
      if (!Number.isFinite(v[j])) throw new Error(`chunk ${chunks[i].id}: non-finite value in vector`);
    }
  }
}

const isLine = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0x7fffffff;

/**
 * Append the batch into a TEMP table and COPY it out. Term maps and SPLADE
 * maps cross into DuckDB as one string per row (space-joined tokens, JSON) and
 * become MAPs in SQL: per-key JS->DuckDB values cost several times more.
 */
async function copyBatchToParquet(conn: DuckDBConnection, batch: EncodedBatch, file: string): Promise<void> {
  const dim = batch.embedding.dim;
  const tableName = `parquet_batch_${randomBytes(6).toString('hex')}`;
  const table = sqlIdent(tableName);
  const types: DuckDBType[] = [
    VARCHAR, VARCHAR, VARCHAR, INTEGER, INTEGER, VARCHAR, LIST(VARCHAR), VARCHAR, VARCHAR, INTEGER, ARRAY(FLOAT, dim), VARCHAR, VARCHAR,
    VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR, VARCHAR,
  ];
  await conn.run(`CREATE TEMP TABLE ${table} (
    chunk_id VARCHAR, repo VARCHAR, path VARCHAR, start_line INTEGER, end_line INTEGER, language VARCHAR,
    symbols VARCHAR[], content VARCHAR, tokens VARCHAR, doc_len INTEGER, embedding FLOAT[${dim}], splade_json VARCHAR, doc_comment VARCHAR,
    symbol_tokens VARCHAR, signature_tokens VARCHAR, doc_tokens VARCHAR, path_tokens VARCHAR, role VARCHAR, summary_tokens VARCHAR)`);
  try {
    const appender = await conn.createAppender(tableName);
    try {
      for (let start = 0; start < batch.chunks.length; start += CHUNK_ROWS) {
        const end = Math.min(start + CHUNK_ROWS, batch.chunks.length);
        const chunk = DuckDBDataChunk.create(types, end - start);
        chunk.setColumns(batchColumns(batch, start, end));
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    await conn.run(`COPY (
      SELECT chunk_id, repo, path, start_line, end_line, language, symbols, content, doc_len,
        ${termMap('tokens')} AS terms,
        embedding,
        json_transform(splade_json, '"MAP(VARCHAR, FLOAT)"') AS splade,
        doc_comment,
        ${termMap('symbol_tokens')} AS symbol_terms,
        ${termMap('signature_tokens')} AS signature_terms,
        ${termMap('doc_tokens')} AS doc_terms,
        ${termMap('path_tokens')} AS path_terms,
        role,
        ${termMap('summary_tokens')} AS summary_terms
      FROM ${table}
    ) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, KV_METADATA ${provenanceKvLiteral(batch.embedding, batch.sparseContract)})`);
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${table}`);
  }
}

/** A space-joined token string as a term -> count map (an empty map for NULL). */
const termMap = (column: string) => `COALESCE(list_aggregate(string_split(${column}, ' '), 'histogram'), MAP {})::MAP(VARCHAR, INTEGER)`;

/** Tokens never contain spaces (letters and digits only), so a space join is lossless. */
const joinTokens = (text: string): string | null => {
  const tokens = tokenize(text);
  return tokens.length > 0 ? tokens.join(' ') : null;
};

function batchColumns(batch: EncodedBatch, start: number, end: number): DuckDBValue[][] {
  const cols: DuckDBValue[][] = Array.from({ length: 19 }, () => []);
  for (let i = start; i < end; i++) {
    const c = batch.chunks[i];
    // The body field; the symbol names, definition lines, doc comments and path are fields of their own (BM25F).
    const tokens = tokenize(c.text);
    const sparse = batch.sparse?.[i];
    cols[0].push(c.id);
    cols[1].push(batch.repo);
    cols[2].push(c.path);
    cols[3].push(c.startLine);
    cols[4].push(c.endLine);
    cols[5].push(c.language);
    cols[6].push(listValue(c.symbols));
    cols[7].push(c.text);
    cols[8].push(tokens.length > 0 ? tokens.join(' ') : null);
    cols[9].push(tokens.length);
    cols[10].push(arrayValue(Array.from(batch.dense[i])));
    cols[11].push(sparse ? JSON.stringify(sparse) : null);
    cols[12].push(c.doc ?? ''); // the definitions' doc comments, kept apart so ranking can weigh them
    cols[13].push(joinTokens(c.symbols.join(' ')));
    cols[14].push(joinTokens(definitionLines(c.text, c.symbols).map((l) => l.text).join('\n')));
    cols[15].push(joinTokens(c.doc ?? ''));
    cols[16].push(joinTokens(c.path));
    cols[17].push(c.role ?? classifyFile(c.path, c.text));
    cols[18].push(joinTokens(c.summary ?? ''));
  }
  return cols;
}

/**
 * The embedding and SPLADE contracts as a KV_METADATA literal, so a reader can
 * check a part matches the index it feeds. Shared by every writer of parts.
 */
export function provenanceKvLiteral(e: EmbeddingContract, s: SparseContract | null | undefined, extra: Record<string, string> = {}): string {
  const kv: Record<string, string> = {
    embedding_model: e.model,
    embedding_provider: e.provider,
    embedding_dim: String(e.dim),
    embedding_pooling: e.pooling,
    embedding_normalize: String(e.normalize),
    embedding_query_instruction: e.queryInstruction,
    splade_model: s?.model ?? '',
    splade_top_k: s ? String(s.topK) : '',
    splade_min_weight: s ? String(s.minWeight) : '',
    created_at: new Date().toISOString(),
    ...extra,
  };
  // COPY options take no parameters: keys are fixed identifiers, values quoted literals.
  return `{${Object.entries(kv).map(([k, v]) => `${k}: ${sqlString(v)}`).join(', ')}}`;
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface PartMetadata {
  /** The part's key-value metadata (embedding_model, embedding_dim, ..., created_at). */
  kv: Record<string, string>;
  rowCount: number;
  /**
   * Width of the embedding column. Parquet stores FLOAT[n] as a plain
   * LIST<FLOAT> (the schema keeps no width, DuckDB reads it back as FLOAT[]),
   * so this is read from the data: the common length of every row, or null
   * when the part is empty or its rows disagree.
   */
  embeddingWidth: number | null;
  /** DuckDB's type for the embedding column as read back, e.g. "FLOAT[]". */
  embeddingType: string | null;
}

export async function readPartMetadata(db: DuckDb, file: string): Promise<PartMetadata> {
  return db.withConnection(async (conn) => {
    const kvRows = await conn.runAndReadAll(
      'SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata($1)',
      [file],
    );
    const kv: Record<string, string> = {};
    for (const row of kvRows.getRowObjectsJS()) kv[String(row.k)] = String(row.v);

    const described = await conn.runAndReadAll('DESCRIBE SELECT * FROM read_parquet($1)', [file]);
    const embeddingCol = described.getRowObjectsJS().find((r) => r.column_name === 'embedding');

    const stats = await conn.runAndReadAll(
      embeddingCol
        ? 'SELECT count(*)::INTEGER AS n, min(len(embedding))::INTEGER AS lo, max(len(embedding))::INTEGER AS hi FROM read_parquet($1)'
        : 'SELECT count(*)::INTEGER AS n, NULL::INTEGER AS lo, NULL::INTEGER AS hi FROM read_parquet($1)',
      [file],
    );
    const { n, lo, hi } = stats.getRowObjectsJS()[0] as { n: number; lo: number | null; hi: number | null };
    return {
      kv,
      rowCount: n,
      embeddingWidth: lo !== null && lo === hi ? lo : null,
      embeddingType: embeddingCol ? String(embeddingCol.column_type) : null,
    };
  });
}
