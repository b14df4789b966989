import type { FileRole } from './chunk.js';

/** A ranked list from one retrieval channel (dense, bm25, splade, ...). */
export interface ChannelHit {
  chunkId: string;
  score: number;
}

export interface SearchFilters {
  /** globs over repo-relative paths, e.g. "src/**" or "*.py" */
  paths?: string[];
  languages?: string[];
  /** file roles to keep (source, test, docs, ...); see FILE_ROLES */
  roles?: FileRole[];
}

export interface ChannelQuery {
  repo: string;
  text: string;
  k: number;
  filters?: SearchFilters;
  signal?: AbortSignal;
}

/** One retrieval channel. Local DuckDB/FAISS adapters, or OpenSearch/Neo4j. */
export interface RetrievalChannel {
  readonly name: string;
  search(query: ChannelQuery): Promise<ChannelHit[]>;
}
