import { LIST, VARCHAR, listValue } from '@duckdb/node-api';
import type { DuckDb } from '../catalog/duckdb.js';
import type { Chunk } from '../contracts/chunk.js';
import { liveChunkIds } from '../manifest/manifest.js';
import type { ManifestStore } from '../manifest/store.js';
import type { Logger } from '../observability/logger.js';
import type { SparseVector } from '../contracts/sparse.js';
import { createSinkCircuit } from './circuit.js';
import { createContainedSinks, type SinkStatus } from './contained.js';
import type { SinkFailureLog } from './failureLog.js';
import type { EncodedBatch, Sink } from './port.js';

export interface ResyncDeps {
  manifests: ManifestStore;
  db: DuckDb;
  /** the optional sinks to bring in line (Neo4j, OpenSearch) */
  sinks: Sink[];
  logger: Logger;
  failureLog?: SinkFailureLog;
  /** chunks per write (default 256) */
  batchSize?: number;
  /** attempts per sink and batch (default 3) */
  attempts?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ResyncReport {
  repo: string;
  manifestVersion: number;
  /** live chunks written to every sink that was up */
  chunks: number;
  batches: number;
  /** ids the manifest records as deleted, deleted again from every sink */
  deleted: number;
  /** live ids the Parquet parts did not hold (should be 0) */
  missing: number;
  sinks: Record<string, SinkStatus>;
}

/**
 * Bring the optional sinks in line with a repo's committed version, from
 * what is already stored: the live chunks (text, vector, SPLADE terms) are
 * read back from the version's Parquet parts and upserted, and the ids the
 * manifest records as deleted are deleted. Nothing is re-embedded. This heals
 * writes and deletes a sink missed while it was down (the failure stream lists
 * them). Every write is an idempotent upsert, so running it twice is harmless.
 * Run it while no index run of that repo is active.
 */
export async function resyncSinks(deps: ResyncDeps, repo: string): Promise<ResyncReport> {
  const manifest = await deps.manifests.current(repo);
  if (!manifest) throw new Error(`repo "${repo}" has no committed index; index it first`);
  const parts = await deps.manifests.materialize(repo, manifest.parts);
  const live = [...liveChunkIds(manifest)].sort();
  const batchSize = deps.batchSize ?? 256;
  const log = deps.logger.child({ repo, manifestVersion: manifest.version, op: 'resync' });
  // a sink that gives up on one batch is skipped for the rest of this resync
  const contained = createContainedSinks({
    logger: log,
    attempts: deps.attempts ?? 3,
    circuit: createSinkCircuit({ cooldownMs: Infinity }),
    failureLog: deps.failureLog,
  });
  const status: Record<string, SinkStatus> = Object.fromEntries(deps.sinks.map((s) => [s.name, { status: 'ok' } as SinkStatus]));
  const merge = (r: Record<string, SinkStatus>) => {
    for (const [name, s] of Object.entries(r)) if (s.status === 'failed' && status[name].status === 'ok') status[name] = s;
  };
  const initialised = new Set<string>();
  let missing = 0;
  let batches = 0;

  for (let start = 0; start < live.length; start += batchSize) {
    const ids = live.slice(start, start + batchSize);
    const rows = await readRows(deps.db, parts, ids);
    missing += ids.length - rows.length;
    if (rows.length === 0) continue;
    const batch: EncodedBatch = {
      repo,
      runId: manifest.runId,
      batchIndex: batches,
      chunks: rows.map((r) => r.chunk),
      dense: rows.map((r) => r.dense),
      sparse: manifest.sparse ? rows.map((r) => r.sparse ?? {}) : undefined,
      embedding: manifest.embedding,
      sparseContract: manifest.sparse ?? undefined,
    };
    merge(
      await contained.run(
        deps.sinks,
        async (sink) => {
          if (!initialised.has(sink.name)) {
            await sink.init(manifest.embedding);
            initialised.add(sink.name);
          }
          await sink.writeBatch(batch);
        },
        { repo, runId: manifest.runId, op: 'write', batchIndex: batches, chunks: rows.length },
      ),
    );
    batches++;
    deps.onProgress?.(Math.min(start + batchSize, live.length), live.length);
  }

  const deleted = manifest.deletedChunkIds;
  if (deleted.length > 0) {
    merge(await contained.run(deps.sinks, (sink) => sink.deleteChunks(repo, deleted), { repo, runId: manifest.runId, op: 'delete', chunks: deleted.length }));
  }
  if (missing > 0) log.warn({ missing }, 'live chunk ids not found in the Parquet parts');
  return { repo, manifestVersion: manifest.version, chunks: live.length - missing, batches, deleted: deleted.length, missing, sinks: status };
}

interface Row {
  chunk: Chunk;
  dense: Float32Array;
  sparse?: SparseVector;
}

/** The newest Parquet row of each id (a chunk can sit in several parts; the part listed last wins). */
async function readRows(db: DuckDb, parts: string[], ids: string[]): Promise<Row[]> {
  if (parts.length === 0) return [];
  return db.withConnection(async (conn) => {
    const reader = await conn.runAndReadAll(
      `SELECT chunk_id, path, start_line, end_line, language, symbols, content,
              embedding::FLOAT[] AS embedding,
              CASE WHEN splade IS NULL THEN NULL ELSE to_json(splade)::VARCHAR END AS splade_json
       FROM read_parquet($parts, filename = true)
       WHERE chunk_id IN (SELECT unnest($ids))
       QUALIFY row_number() OVER (PARTITION BY chunk_id ORDER BY list_position($parts, filename) DESC) = 1
       ORDER BY chunk_id`,
      { parts: listValue(parts), ids: listValue(ids) },
      { parts: LIST(VARCHAR), ids: LIST(VARCHAR) },
    );
    return (reader.getRowObjectsJS() as Record<string, unknown>[]).map((r) => ({
      chunk: {
        id: String(r.chunk_id),
        path: String(r.path),
        startLine: Number(r.start_line),
        endLine: Number(r.end_line),
        language: String(r.language),
        symbols: ((r.symbols as unknown[] | null) ?? []).map(String),
        text: String(r.content),
      },
      dense: Float32Array.from((r.embedding as number[]).map(Number)),
      ...(r.splade_json ? { sparse: JSON.parse(String(r.splade_json)) as SparseVector } : {}),
    }));
  });
}
