import type { PlannedFile, RunPlan, StagedChunks } from '../../src/contracts/artifacts.js';
import type { IndexRunProgress } from '../../src/contracts/results.js';
import type { FlowProducer } from 'bullmq';
import type { Chunk } from '../../src/contracts/chunk.js';
import type { ArtifactStore } from '../../src/artifacts/store.js';
import type { Logger } from '../../src/observability/logger.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import type { ManifestStore } from '../../src/manifest/store.js';
import type { RunProgress } from '../../src/queue/runProgress.js';
import type { IndexRunPayload } from '../../src/contracts/payloads.js';
import type { IndexRunResult } from '../../src/contracts/results.js';
import type { VectorIndexPlanner } from '../../src/vector/planner.js';
import type { EmbeddingContract } from '../../src/contracts/embedding.js';
import type { RepoLock } from '../../src/manifest/repoLock.js';
import type { RepoFile } from '../../src/repo/snapshot.js';

export interface SnapshotPort {
  listFiles(): Promise<{ files: PlannedFile[]; skipped: { path: string; reason: string }[] }>;
  read(relPath: string): Promise<string>;
}
export interface ChunkerPort {
  /** `strategy` 'lines': the file got plain line windows (no grammar for its language, or it did not parse) */
  chunkFileDetailed(relPath: string, text: string, language: string): Promise<{ chunks: Chunk[]; strategy: string }>;
}

export interface IndexRunDeps {
  logger: Logger;
  artifacts: ArtifactStore;
  manifests: ManifestStore;
  flows: FlowProducer;
  progress: RunProgress;
  batchSize: number;
  /** the artifact store the staged batches are written to, carried by every batch job */
  storeId?: string;
  /** is a SPLADE model configured? then every batch also gets an encode.sparse child */
  sparseEnabled: boolean;
  /** `knownFile`: the previous version's stat cache, so unchanged files are not read again */
  openSnapshot(source: IndexRunPayload['source'], opts?: { knownFile?: (relPath: string, size: number, mtimeMs: number) => RepoFile | undefined }): Promise<SnapshotPort>;
  createChunker(): ChunkerPort;
  vectorPlanner: VectorIndexPlanner;
  /** called after a commit, still holding the repo's write lease; may enqueue faiss.compact and collect garbage */
  afterCommit?(manifest: Manifest): Promise<void>;
  /** the per-repo write lease faiss.compact also takes: finalize commits while holding it */
  repoLock?: RepoLock;
  /**
   * The embedding contract the GPU workers serve now (published in Redis at
   * their start), or null when unknown. When it differs from the current
   * version's, the run becomes a full rebuild into a new version.
   */
  embeddingContract?(): Promise<EmbeddingContract | null>;
  /**
   * Delete chunks that left the repo from the optional sinks (Neo4j,
   * OpenSearch), after the commit. Resolves with each sink's status; a sink
   * that is down is reported, never fatal (the manifest already hides them).
   */
  removeFromSinks?(repo: string, runId: string, chunkIds: string[]): Promise<IndexRunResult['sinks']>;
}

export type { IndexRunProgress, PlannedFile, RunPlan, StagedChunks };
