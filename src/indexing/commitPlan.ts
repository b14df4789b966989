import { liveChunkIds, type Manifest, type ManifestFileEntry, type VectorIndexRef } from '../manifest/manifest.js';
import type { DenseBatchInfo, PlannedFile, RunPlan, StagedChunks } from '../contracts/artifacts.js';
import type { EmbeddingContract } from '../contracts/embedding.js';
import type { IndexRunPayload } from '../contracts/payloads.js';
import type { SinkBatchResult, SinkStatus } from '../contracts/results.js';
import type { SparseContract } from '../contracts/sparse.js';
import { CommitRefusedError } from '../errors/commitRefusedError.js';
import { BatchPartMissingError } from '../errors/batchPartMissingError.js';
import { fileTableDigest } from './versioning.js';

/** Everything an index run's commit is decided from; all of it is read before deciding. */
export interface CommitInputs {
  /** the repo's current version when finalize started, or null for a new repo */
  current: Manifest | null;
  /** plan.json of the run */
  plan: RunPlan;
  /** staged.json of the run */
  staged: StagedChunks;
  /** what the batches' sink jobs returned, in any order */
  sinkResults: SinkBatchResult[];
  /** bNNNNN.dense.json of every batch, in batch order */
  denseBatches: DenseBatchInfo[];
  /** the SPLADE contract the run's batches used, or null (no SPLADE model, or no batch) */
  sparse: SparseContract | null;
  run: Pick<IndexRunPayload, 'repo' | 'runId' | 'source'>;
}

/** The new manifest as decided: the version number, the time and the FAISS files come from the commit itself. */
export type ManifestDraft = Omit<Manifest, 'version' | 'createdAt' | 'vectors'>;

/** One batch's new vectors: bNNNNN.dense.f32 must hold exactly one vector per id, in this order. */
export interface BatchVectors {
  batch: number;
  ids: string[];
}

/** How the FAISS files of the new version are made from the new vectors. */
export type VectorPlan =
  /** no version to build on (first version, or a full run): one primary index of the new vectors (none if there are none) */
  | { kind: 'build-primary'; dim: number }
  /** keep the previous primary; a new secondary holds the previous secondary's vectors still `keep`, then the new ones */
  | { kind: 'extend-secondary'; dim: number; primary: VectorIndexRef | null; secondary: VectorIndexRef | null; keep: ReadonlySet<string> };

export interface CommitWrite {
  kind: 'commit';
  manifest: ManifestDraft;
  /** the vectors to add, in batch order */
  newVectors: BatchVectors[];
  vectors: VectorPlan;
  /** chunk ids the new version no longer has, to delete from the optional sinks (Neo4j, OpenSearch) after the commit */
  removeFromSinks: string[];
  /** each sink's status over all batches (a failure in any batch wins) */
  sinks: Record<string, SinkStatus>;
}

export type CommitPlan =
  /** nothing changed since the current version: it stays, no version is written */
  | { kind: 'unchanged'; manifest: Manifest }
  /** the run cannot commit: finalize throws this error */
  | { kind: 'refused'; error: CommitRefusedError | BatchPartMissingError }
  | CommitWrite;

/**
 * What an index run's commit writes and deletes, decided without I/O: from
 * the current version, the run's plan and what its batches staged and wrote.
 * jobs/indexRun/commit.ts applyCommit carries it out.
 */
export function planCommit(inputs: CommitInputs): CommitPlan {
  const { current, plan, staged, run } = inputs;
  const batches = staged.batchSizes.length;
  const previous = plan.full ? null : current;
  // a compaction may have committed since the plan (same files, new FAISS layout): build on it
  const rebased = !plan.full && !!current && current.version !== plan.previousVersion && !!plan.baseDigest && fileTableDigest(current.files) === plan.baseDigest;
  if (!plan.full && (current?.version ?? null) !== plan.previousVersion && !rebased) {
    const message = `repo ${run.repo} moved from version ${plan.previousVersion} to ${current?.version} during this run; start a new run`;
    return { kind: 'refused', error: new CommitRefusedError('repo-moved', message, { repo: run.repo, planned: plan.previousVersion, current: current?.version ?? null }) };
  }

  const d = plan.diff;
  if (previous && batches === 0 && d.added.length + d.changed.length + d.deleted.length === 0 && sameSource(previous.source, run.source)) {
    return { kind: 'unchanged', manifest: previous };
  }

  const partsByBatch = new Map(inputs.sinkResults.map((r) => [r.batchIndex, r.part]));
  const newParts: string[] = [];
  for (let b = 0; b < batches; b++) {
    const part = partsByBatch.get(b);
    if (!part) return { kind: 'refused', error: new BatchPartMissingError(run.runId, b) };
    newParts.push(part);
  }

  const embedding = runContract(inputs, previous);
  if (embedding instanceof CommitRefusedError) return { kind: 'refused', error: embedding };

  const files = fileTable(plan, staged, previous);
  const newLive = liveChunkIds({ files });
  const newVectors = Array.from({ length: batches }, (_, batch) => ({ batch, ids: staged.batchIds[batch] ?? [] }));
  const newIds = newVectors.flatMap((v) => v.ids);

  let vectors: VectorPlan;
  let parts: string[];
  const deleted = new Set<string>();
  if (!previous) {
    vectors = { kind: 'build-primary', dim: embedding.dim };
    parts = newParts;
    // new vectors whose chunk no file names: in the part and the index, so hidden as deleted
    for (const id of newIds) if (!newLive.has(id)) deleted.add(id);
  } else {
    vectors = { kind: 'extend-secondary', dim: embedding.dim, primary: previous.vectors.primary, secondary: previous.vectors.secondary, keep: newLive };
    parts = [...previous.parts, ...newParts];
    // rows still in the kept parts and indexes that no file names any more
    for (const id of previous.deletedChunkIds) if (!newLive.has(id)) deleted.add(id);
    for (const id of liveChunkIds(previous)) if (!newLive.has(id)) deleted.add(id);
  }

  // chunks the committed version no longer has: the ones `current` served, and new ones no file kept
  const removed = new Set<string>(current ? liveChunkIds(current) : []);
  for (const id of newIds) removed.add(id);
  for (const id of newLive) removed.delete(id);

  return {
    kind: 'commit',
    manifest: {
      formatVersion: 1,
      repo: run.repo,
      source: run.source,
      runId: run.runId,
      embedding,
      sparse: inputs.sparse ?? previous?.sparse ?? null,
      files,
      parts,
      deletedChunkIds: [...deleted],
      stats: { files: Object.keys(files).length, chunks: newLive.size },
      kind: 'index',
      previousVersion: current?.version ?? null,
      ...(plan.scannedAt ? { scannedAt: plan.scannedAt } : {}),
    },
    newVectors,
    vectors,
    removeFromSinks: [...removed],
    sinks: mergeSinkStatus(inputs.sinkResults),
  };
}

/** The embedding contract every batch used; a run never mixes models or dimensions, nor changes them without `full`. */
function runContract({ denseBatches, current, run }: CommitInputs, previous: Manifest | null): EmbeddingContract | CommitRefusedError {
  const contract = denseBatches[0]?.contract ?? previous?.embedding ?? current?.embedding;
  if (!contract) {
    return new CommitRefusedError('no-embeddings', `run ${run.runId} produced no embeddings and the repo has no previous version`, { runId: run.runId });
  }
  for (const { contract: c } of denseBatches) {
    if (c.model !== contract.model || c.dim !== contract.dim) {
      return new CommitRefusedError(
        'mixed-models',
        `batches of run ${run.runId} were embedded by different models (${contract.model}/${contract.dim} vs ${c.model}/${c.dim}); re-run with full: true`,
        { runId: run.runId },
      );
    }
  }
  if (previous && (previous.embedding.model !== contract.model || previous.embedding.dim !== contract.dim)) {
    return new CommitRefusedError(
      'model-changed',
      `the embedding model changed from ${previous.embedding.model} (${previous.embedding.dim}-d) to ${contract.model} (${contract.dim}-d); ` +
        `re-run with full: true to rebuild the index; the current version keeps serving until then`,
      { repo: run.repo },
    );
  }
  return contract;
}

/** The new version's file table: unchanged files keep their entry, added and changed ones get the staged chunks. */
function fileTable(plan: RunPlan, staged: StagedChunks, previous: Manifest | null): Record<string, ManifestFileEntry> {
  const files: Record<string, ManifestFileEntry> = {};
  const planned = new Map(plan.files.map((f) => [f.path, f]));
  // size and mtime as listed now: the next run's stat cache
  const stat = (f: PlannedFile) => (f.mtimeMs !== undefined ? { size: f.size, mtimeMs: f.mtimeMs } : {});
  for (const rel of plan.diff.unchanged) {
    const { size: _s, mtimeMs: _m, ...entry } = previous!.files[rel];
    files[rel] = { ...entry, ...stat(planned.get(rel)!) };
  }
  for (const rel of [...plan.diff.added, ...plan.diff.changed]) {
    const f = planned.get(rel)!;
    files[rel] = { hash: f.hash, language: f.language, chunkIds: staged.fileChunks[rel] ?? [], ...stat(f) };
  }
  return files;
}

/** Each sink's status over the batches: the first one seen, unless a later batch failed. */
function mergeSinkStatus(results: SinkBatchResult[]): Record<string, SinkStatus> {
  const sinks: Record<string, SinkStatus> = {};
  for (const r of results) {
    for (const [name, s] of Object.entries(r.sinks ?? {})) {
      if (!sinks[name] || s.status === 'failed') sinks[name] = s;
    }
  }
  return sinks;
}

/** Same place and ref (a git source is cloned afresh into a new directory by every run). */
const sameSource = (a: Manifest['source'], b: Manifest['source']) =>
  a.kind === b.kind && a.location === b.location && (a.ref ?? null) === (b.ref ?? null) && (a.kind === 'git' || a.root === b.root);
