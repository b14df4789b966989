import type { Chunk } from '../contracts/chunk.js';
import type { EmbeddingContract } from '../contracts/embedding.js';
import type { SparseContract, SparseVector } from '../contracts/sparse.js';

/** One encoded batch, as every sink receives it. */
export interface EncodedBatch {
  repo: string;
  runId: string;
  batchIndex: number;
  chunks: Chunk[];
  /** dense[i] belongs to chunks[i] */
  dense: Float32Array[];
  /** sparse[i] belongs to chunks[i]; absent when no SPLADE model is configured */
  sparse?: SparseVector[];
  embedding: EmbeddingContract;
  sparseContract?: SparseContract;
}

export interface SinkWriteResult {
  /** rows this call actually wrote (0 when the batch was already there) */
  written: number;
  /** adapter-specific reference, e.g. the Parquet part's file name */
  ref?: string;
}

/**
 * A sink stores encoded batches. Every write is idempotent: keyed by chunk id
 * (Neo4j MERGE, OpenSearch _id) or by run+batch (Parquet part name), so a
 * retried job never writes a chunk twice.
 */
export interface Sink {
  readonly name: string;
  /** Create schema, constraints, templates; safe to call repeatedly. */
  init(contract: EmbeddingContract): Promise<void>;
  writeBatch(batch: EncodedBatch): Promise<SinkWriteResult>;
  /** Remove chunks that left the repo (changed or deleted files). */
  deleteChunks(repo: string, chunkIds: string[]): Promise<void>;
  health(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}
