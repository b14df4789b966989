import type { EmbeddingContract } from '../contracts/embedding.js';
import type { RepoSource } from '../contracts/payloads.js';
import type { SparseContract } from '../contracts/sparse.js';

/** One FAISS index file and the chunk ids of its vectors, position by position. */
export interface VectorIndexRef {
  /** file names relative to the repo directory */
  file: string;
  idsFile: string;
  /** faiss factory string, e.g. "Flat", "IVF1024,Flat", "HNSW32" */
  type: string;
  dim: number;
  metric: 'ip';
  count: number;
  builtAt: string;
  /** number of vectors the index was trained on (IVF/PQ), 0 for untrained types */
  trainedOn: number;
  nlist?: number;
  m?: number;
}

export interface ManifestFileEntry {
  /** sha256 of the file content */
  hash: string;
  language: string;
  chunkIds: string[];
  /** size and mtime when it was listed: the next run's stat cache (absent for git-ref snapshots) */
  size?: number;
  mtimeMs?: number;
}

/**
 * A repo's state, written once per commit as `manifest-vN.json` and made
 * current by swapping `CURRENT`. Every file it names is immutable.
 */
export interface Manifest {
  formatVersion: 1;
  version: number;
  repo: string;
  source: RepoSource;
  runId: string;
  createdAt: string;
  embedding: EmbeddingContract;
  sparse: SparseContract | null;
  files: Record<string, ManifestFileEntry>;
  /** Parquet part files (relative to the repo directory) that hold live or deleted rows */
  parts: string[];
  /** chunk ids present in `parts` or the indexes that are no longer live */
  deletedChunkIds: string[];
  vectors: { primary: VectorIndexRef | null; secondary: VectorIndexRef | null };
  stats: { files: number; chunks: number };
  /** what wrote this version: an index run or faiss.compact (absent on versions written before it existed) */
  kind?: 'index' | 'compaction';
  /** when the listing that produced `files` started: stat-cache entries modified after it are not trusted */
  scannedAt?: string;
  /**
   * The version that was current when this one was committed (null for a
   * repo's first). Garbage collection follows this chain: a version stays
   * on disk while it is current or was superseded less than the grace ago.
   */
  previousVersion?: number | null;
}

/**
 * What a process serving search keeps of a version: the manifest without
 * each file's chunk ids (a million strings at 1M chunks, ~110 MB of heap,
 * which search never reads: the catalog knows the chunks).
 */
export type ServingManifest = Omit<Manifest, 'files'> & { files: Record<string, Omit<ManifestFileEntry, 'chunkIds'>> };

export function servingManifest(manifest: Manifest): ServingManifest {
  const files: ServingManifest['files'] = {};
  for (const [path, { chunkIds: _ids, ...entry }] of Object.entries(manifest.files)) files[path] = entry;
  return { ...manifest, files };
}

/** Every file (relative to the repo directory) a version names: it must outlive the version. */
export function referencedFiles(manifest: Pick<Manifest, 'parts' | 'vectors'>): string[] {
  const out = [...manifest.parts];
  for (const ref of [manifest.vectors.primary, manifest.vectors.secondary]) if (ref) out.push(ref.file, ref.idsFile);
  return out;
}

export function liveChunkIds(manifest: Pick<Manifest, 'files'>): Set<string> {
  const ids = new Set<string>();
  for (const entry of Object.values(manifest.files)) for (const id of entry.chunkIds) ids.add(id);
  return ids;
}
