import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DOUBLE, INTEGER, VARCHAR, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { sqlIdent, sqlString, type DuckDb } from '../catalog/duckdb.js';
import type { Logger } from '../observability/logger.js';

/**
 * AnswerTrace (seed 001 §H): one row per answer, appended to a Parquet
 * dataset under DATA_DIR/traces/answers/date=YYYY-MM-DD/ (hive-partitioned,
 * so `read_parquet('traces/answers/**\/*.parquet', hive_partitioning = true)`
 * reads it). Rows are buffered and written as small immutable part files,
 * one per flush (every `maxRows` rows or `flushMs`, and at close), each
 * through DuckDB COPY into a temp name renamed into place.
 */

export interface AnswerTraceRow {
  traceId: string;
  sessionId: string | null;
  repo: string;
  query: string;
  k: number;
  manifestVersion: number | null;
  startedAt: Date;
  endedAt: Date;
  /** completed | failed | cancelled */
  state: string;
  /** per stage: queue, load, embed_query, faiss, dense, bm25, splade, fuse, hydrate, retrieval, rerank, prompt, ttft, generation, total */
  timingsMs: Record<string, number>;
  /** each retrieval channel's top chunk ids */
  channelTopIds: Record<string, string[]>;
  /** the chunks in the prompt, in citation order */
  promptChunkIds: string[];
  citedChunkIds: string[];
  /** channels dropped, with why */
  dropped: string[];
  /** fallbacks taken (rerank skipped, extractive instead of the model, ...) */
  fallbacks: string[];
  generator: 'llm' | 'extractive';
  model: string;
  temperature: number;
  maxTokens: number;
  tokensIn: number | null;
  tokensOut: number | null;
  ttftMs: number | null;
  tokensPerS: number | null;
  rerankModel: string | null;
  budgets: { retrievalMs: number; rerankMs: number; promptTokens: number };
  error: string | null;
}

export interface TraceWriter {
  append(row: AnswerTraceRow): void;
  /** Write buffered rows now; resolves with the part written, or null when there was nothing. */
  flush(): Promise<string | null>;
  close(): Promise<void>;
}

export const traceDir = (dataDir: string) => path.join(dataDir, 'traces', 'answers');

const COLUMNS: [string, DuckDBType][] = [
  ['trace_id', VARCHAR],
  ['session_id', VARCHAR],
  ['repo', VARCHAR],
  ['query', VARCHAR],
  ['k', INTEGER],
  ['manifest_version', INTEGER],
  ['started_at', VARCHAR],
  ['ended_at', VARCHAR],
  ['state', VARCHAR],
  ['timings_ms', VARCHAR],
  ['channel_top_ids', VARCHAR],
  ['prompt_chunk_ids', VARCHAR],
  ['cited_chunk_ids', VARCHAR],
  ['dropped', VARCHAR],
  ['fallbacks', VARCHAR],
  ['generator', VARCHAR],
  ['model', VARCHAR],
  ['temperature', DOUBLE],
  ['max_tokens', INTEGER],
  ['tokens_in', INTEGER],
  ['tokens_out', INTEGER],
  ['ttft_ms', DOUBLE],
  ['tokens_per_s', DOUBLE],
  ['rerank_model', VARCHAR],
  ['budgets', VARCHAR],
  ['error', VARCHAR],
];

// JSON text columns become typed Parquet columns in the COPY
const SELECT = `SELECT trace_id, session_id, repo, query, k, manifest_version,
  started_at::TIMESTAMPTZ AS started_at, ended_at::TIMESTAMPTZ AS ended_at, state,
  json_transform(timings_ms, '"MAP(VARCHAR, DOUBLE)"') AS timings_ms,
  json_transform(channel_top_ids, '"MAP(VARCHAR, VARCHAR[])"') AS channel_top_ids,
  json_transform(prompt_chunk_ids, '["VARCHAR"]') AS prompt_chunk_ids,
  json_transform(cited_chunk_ids, '["VARCHAR"]') AS cited_chunk_ids,
  json_transform(dropped, '["VARCHAR"]') AS dropped,
  json_transform(fallbacks, '["VARCHAR"]') AS fallbacks,
  generator, model, temperature, max_tokens, tokens_in, tokens_out, ttft_ms, tokens_per_s, rerank_model,
  json_transform(budgets, '{"retrievalMs": "DOUBLE", "rerankMs": "DOUBLE", "promptTokens": "INTEGER"}') AS budgets,
  error`;

function values(r: AnswerTraceRow): DuckDBValue[] {
  return [
    r.traceId,
    r.sessionId,
    r.repo,
    r.query,
    r.k,
    r.manifestVersion,
    r.startedAt.toISOString(),
    r.endedAt.toISOString(),
    r.state,
    JSON.stringify(r.timingsMs),
    JSON.stringify(r.channelTopIds),
    JSON.stringify(r.promptChunkIds),
    JSON.stringify(r.citedChunkIds),
    JSON.stringify(r.dropped),
    JSON.stringify(r.fallbacks),
    r.generator,
    r.model,
    r.temperature,
    r.maxTokens,
    r.tokensIn === null ? null : Math.round(r.tokensIn),
    r.tokensOut === null ? null : Math.round(r.tokensOut),
    r.ttftMs,
    r.tokensPerS,
    r.rerankModel,
    JSON.stringify(r.budgets),
    r.error,
  ];
}

export function createTraceWriter(opts: { db: DuckDb; dataDir: string; logger: Logger; maxRows?: number; flushMs?: number; maxBuffered?: number }): TraceWriter {
  const maxRows = opts.maxRows ?? 100;
  const flushMs = opts.flushMs ?? 5_000;
  const maxBuffered = opts.maxBuffered ?? 10_000;
  let buffer: AnswerTraceRow[] = [];
  let running: Promise<string | null> = Promise.resolve(null);
  let closed = false;
  const timer = setInterval(() => {
    if (buffer.length) void writer.flush().catch(() => {});
  }, flushMs);
  timer.unref();

  async function writePart(rows: AnswerTraceRow[]): Promise<string> {
    const day = rows[0].endedAt.toISOString().slice(0, 10);
    const dir = path.join(traceDir(opts.dataDir), `date=${day}`);
    await mkdir(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    const name = `part-${stamp}-${process.pid}-${randomBytes(3).toString('hex')}.parquet`;
    const tmp = path.join(dir, `.${name}.tmp`);
    const table = sqlIdent(`answer_trace_${randomBytes(6).toString('hex')}`);
    try {
      await opts.db.withConnection(async (conn) => {
        await conn.run(`CREATE TEMP TABLE ${table} (${COLUMNS.map(([c, t]) => `${c} ${t.toString()}`).join(', ')})`);
        try {
          const insert = `INSERT INTO ${table} VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
          const types = COLUMNS.map(([, t]) => t);
          for (const r of rows) await conn.run(insert, values(r), types);
          await conn.run(`COPY (${SELECT} FROM ${table} ORDER BY ended_at, trace_id) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
        } finally {
          await conn.run(`DROP TABLE IF EXISTS ${table}`);
        }
      });
      const fh = await open(tmp, 'r');
      await fh.sync().finally(() => fh.close());
      const final = path.join(dir, name);
      await rename(tmp, final);
      return final;
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  const writer: TraceWriter = {
    append(row) {
      if (closed) {
        opts.logger.warn({ traceId: row.traceId }, 'answer trace after close: dropped');
        return;
      }
      buffer.push(row);
      if (buffer.length >= maxRows) void writer.flush().catch(() => {});
    },
    flush() {
      // one flush at a time; each takes what is buffered when its turn comes
      running = running.then(
        () => flushNow(),
        () => flushNow(),
      );
      return running;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await writer.flush().catch(() => {});
    },
  };

  async function flushNow(): Promise<string | null> {
    if (buffer.length === 0) return null;
    const rows = buffer;
    buffer = [];
    try {
      const file = await writePart(rows);
      opts.logger.debug({ file, rows: rows.length }, 'answer traces written');
      return file;
    } catch (err) {
      // keep the rows for the next flush, within a bound
      buffer = [...rows, ...buffer].slice(-maxBuffered);
      opts.logger.warn({ err, rows: rows.length }, 'could not write answer traces; will retry');
      throw err;
    }
  }

  return writer;
}
