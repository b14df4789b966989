import { testContract } from '../support/contract.js';
import { describe, expect, it } from 'vitest';
import { planCommit, type CommitInputs, type CommitPlan, type CommitWrite } from '../../src/indexing/commitPlan.js';
import { diffFiles } from '../../src/indexing/diff.js';
import { fileTableDigest } from '../../src/indexing/versioning.js';
import { CommitRefusedError } from '../../src/errors/commitRefusedError.js';
import { BatchPartMissingError } from '../../src/errors/batchPartMissingError.js';
import type { Manifest, ManifestFileEntry, VectorIndexRef } from '../../src/manifest/manifest.js';
import type { DenseBatchInfo, PlannedFile, RunPlan, StagedChunks } from '../../src/contracts/artifacts.js';
import type { EmbeddingContract } from '../../src/contracts/embedding.js';
import type { SinkBatchResult } from '../../src/contracts/results.js';

// --- fixtures: a repo "demo" at version 1 (a.py, b.py, c.py), and run-2 planned against it ---

const contract = (model = 'hashing-lexical-v1', dim = 256): EmbeddingContract => testContract({ model, dim, pooling: 'none' });
const source = { kind: 'local' as const, location: '/repos/demo', root: '/repos/demo' };
const run = { repo: 'demo', runId: 'run-2', source };
const scannedAt = '2026-12-01T07:00:00.000Z';

const vectorRef = (file: string, count: number): VectorIndexRef => ({
  file: `${file}.faiss`,
  idsFile: `${file}.ids.json`,
  type: 'Flat',
  dim: 256,
  metric: 'ip',
  count,
  builtAt: '2026-11-30T10:00:00.000Z',
  trainedOn: 0,
});

const entry = (hash: string, chunkIds: string[], size = 100, mtimeMs = 1_000): ManifestFileEntry => ({ hash, language: 'python', chunkIds, size, mtimeMs });

const version1: Manifest = {
  formatVersion: 1,
  version: 1,
  repo: 'demo',
  source,
  runId: 'run-1',
  createdAt: '2026-11-30T10:00:00.000Z',
  embedding: contract(),
  sparse: { model: 'splade-v3', topK: 128, minWeight: 0.01 },
  files: { 'a.py': entry('ha', ['a1', 'a2']), 'b.py': entry('hb', ['b1']), 'c.py': entry('hc', ['c1']) },
  parts: ['parts/run-1-b00000.parquet'],
  deletedChunkIds: ['gone-earlier'],
  vectors: { primary: vectorRef('faiss/v1-primary', 5), secondary: null },
  stats: { files: 3, chunks: 4 },
  kind: 'index',
  previousVersion: null,
};

/** a listed file; `mtimeMs: null` as a git-ref snapshot lists it (no stat) */
const planned = (path: string, hash: string, mtimeMs: number | null = 2_000): PlannedFile => ({
  path,
  hash,
  language: 'python',
  size: 120,
  ...(mtimeMs === null ? {} : { mtimeMs }),
});

/** What planRun stores for these files listed now, against `base` (null: a full run). */
function runPlan(files: PlannedFile[], base: Manifest | null): RunPlan {
  return {
    files,
    diff: diffFiles(base?.files ?? {}, files),
    skipped: {},
    previousVersion: base?.version ?? null,
    full: !base,
    scannedAt,
    ...(base ? { baseDigest: fileTableDigest(base.files) } : {}),
  };
}

/** staged.json for these batches of chunk ids, and which file each chunk came from */
function stagedChunks(fileChunks: Record<string, string[]>, batchIds: string[][]): StagedChunks {
  return { fileChunks, batchSizes: batchIds.map((ids) => ids.length), batchIds, reused: 0 };
}

const denseInfo = (count: number, c = contract()): DenseBatchInfo => ({ count, model: c.model, provider: c.provider, dim: c.dim, batchSizeUsed: count, contract: c });

const sinkResult = (batchIndex: number, sinks: SinkBatchResult['sinks'] = {}): SinkBatchResult => ({
  batchIndex,
  part: `parts/run-2-b0000${batchIndex}.parquet`,
  written: 1,
  sinks,
});

/** run-2 against version 1: a.py unchanged, b.py changed, c.py deleted, d.py added; two batches. */
function incrementalInputs(overrides: Partial<CommitInputs> = {}): CommitInputs {
  return {
    current: version1,
    plan: runPlan([planned('a.py', 'ha'), planned('b.py', 'hb2'), planned('d.py', 'hd')], version1),
    staged: stagedChunks({ 'b.py': ['b2'], 'd.py': ['d1', 'd2'] }, [['b2', 'd1'], ['d2']]),
    // the sink jobs' results come back in any order
    sinkResults: [sinkResult(1, { neo4j: { status: 'ok' }, opensearch: { status: 'ok' } }), sinkResult(0, { neo4j: { status: 'failed', detail: 'connection refused' } })],
    denseBatches: [denseInfo(2), denseInfo(1)],
    sparse: null,
    run,
    ...overrides,
  };
}

function expectCommit(plan: CommitPlan): CommitWrite {
  if (plan.kind !== 'commit') throw new Error(`expected a commit, got ${plan.kind}${plan.kind === 'refused' ? `: ${plan.error.message}` : ''}`);
  return plan;
}

function expectRefused(plan: CommitPlan) {
  if (plan.kind !== 'refused') throw new Error(`expected a refusal, got ${plan.kind}`);
  return plan.error;
}

describe('planCommit: the first version of a repo', () => {
  const inputs: CommitInputs = {
    current: null,
    plan: runPlan([planned('a.py', 'ha'), planned('b.py', 'hb', null)], null),
    staged: stagedChunks({ 'a.py': ['a1', 'a2'], 'b.py': ['b1'] }, [['a1', 'a2'], ['b1']]),
    sinkResults: [sinkResult(0), sinkResult(1)],
    denseBatches: [denseInfo(2), denseInfo(1)],
    sparse: { model: 'splade-v3', topK: 128, minWeight: 0.01 },
    run: { ...run, runId: 'run-1' },
  };

  it('writes every listed file with its staged chunks, and size and mtime only where the listing had them', () => {
    const commit = expectCommit(planCommit(inputs));
    expect(commit.manifest.files).toEqual({
      'a.py': { hash: 'ha', language: 'python', chunkIds: ['a1', 'a2'], size: 120, mtimeMs: 2_000 },
      'b.py': { hash: 'hb', language: 'python', chunkIds: ['b1'] },
    });
    expect(commit.manifest.stats).toEqual({ files: 2, chunks: 3 });
  });

  it('builds a primary index of all new vectors, in batch order, from the parts of this run only', () => {
    const commit = expectCommit(planCommit(inputs));
    expect(commit.vectors).toEqual({ kind: 'build-primary', dim: 256 });
    expect(commit.newVectors).toEqual([
      { batch: 0, ids: ['a1', 'a2'] },
      { batch: 1, ids: ['b1'] },
    ]);
    expect(commit.manifest.parts).toEqual(['parts/run-2-b00000.parquet', 'parts/run-2-b00001.parquet']);
  });

  it('records the run, its contracts and the listing time, with no previous version and nothing deleted', () => {
    const { manifest, removeFromSinks } = expectCommit(planCommit(inputs));
    expect(manifest).toMatchObject({
      formatVersion: 1,
      repo: 'demo',
      runId: 'run-1',
      source,
      kind: 'index',
      previousVersion: null,
      scannedAt,
      embedding: contract(),
      sparse: { model: 'splade-v3', topK: 128, minWeight: 0.01 },
      deletedChunkIds: [],
    });
    expect(removeFromSinks).toEqual([]);
  });

  it('marks a staged chunk that no file kept as deleted, and removes it from the sinks', () => {
    const commit = expectCommit(planCommit({ ...inputs, staged: stagedChunks({ 'a.py': ['a1', 'a2'], 'b.py': ['b1'] }, [['a1', 'a2', 'stray'], ['b1']]) }));
    expect(commit.manifest.deletedChunkIds).toEqual(['stray']);
    expect(commit.removeFromSinks).toEqual(['stray']);
    expect(commit.manifest.stats.chunks).toBe(3);
  });

  it('refuses a first version without any embedding to describe the index', () => {
    const error = expectRefused(planCommit({ ...inputs, staged: stagedChunks({}, []), sinkResults: [], denseBatches: [] }));
    expect(error).toBeInstanceOf(CommitRefusedError);
    expect(error).toMatchObject({ reason: 'no-embeddings', retryable: false });
    expect(error.message).toBe('run run-1 produced no embeddings and the repo has no previous version');
  });
});

describe('planCommit: an incremental run (a.py unchanged, b.py changed, c.py deleted, d.py added)', () => {
  it('keeps the unchanged file with its old chunks and the new stat, and gives changed and added files their staged chunks', () => {
    const commit = expectCommit(planCommit(incrementalInputs()));
    expect(commit.manifest.files).toEqual({
      'a.py': { hash: 'ha', language: 'python', chunkIds: ['a1', 'a2'], size: 120, mtimeMs: 2_000 },
      'b.py': { hash: 'hb2', language: 'python', chunkIds: ['b2'], size: 120, mtimeMs: 2_000 },
      'd.py': { hash: 'hd', language: 'python', chunkIds: ['d1', 'd2'], size: 120, mtimeMs: 2_000 },
    });
    expect(commit.manifest.stats).toEqual({ files: 3, chunks: 5 });
  });

  it('deletes the chunks of the changed and the deleted file, and keeps the ones deleted before', () => {
    const commit = expectCommit(planCommit(incrementalInputs()));
    expect(commit.manifest.deletedChunkIds).toEqual(['gone-earlier', 'b1', 'c1']);
  });

  it('removes from the sinks only the chunks the current version served and the new one no longer has', () => {
    const commit = expectCommit(planCommit(incrementalInputs()));
    expect(commit.removeFromSinks).toEqual(['b1', 'c1']);
  });

  it('appends the new vectors to a secondary index beside the kept primary, keeping only live chunks', () => {
    const commit = expectCommit(planCommit(incrementalInputs()));
    expect(commit.newVectors).toEqual([
      { batch: 0, ids: ['b2', 'd1'] },
      { batch: 1, ids: ['d2'] },
    ]);
    if (commit.vectors.kind !== 'extend-secondary') throw new Error(`expected extend-secondary, got ${commit.vectors.kind}`);
    expect(commit.vectors.primary).toEqual(version1.vectors.primary);
    expect(commit.vectors.secondary).toBeNull();
    expect(commit.vectors.dim).toBe(256);
    expect([...commit.vectors.keep].sort()).toEqual(['a1', 'a2', 'b2', 'd1', 'd2']);
  });

  it('adds the new parts after the previous ones, in batch order, whatever order the sink results came in', () => {
    const commit = expectCommit(planCommit(incrementalInputs()));
    expect(commit.manifest.parts).toEqual(['parts/run-1-b00000.parquet', 'parts/run-2-b00000.parquet', 'parts/run-2-b00001.parquet']);
  });

  it('commits on top of the current version and keeps its SPLADE contract when the run brings none', () => {
    const commit = expectCommit(planCommit(incrementalInputs()));
    expect(commit.manifest.previousVersion).toBe(1);
    expect(commit.manifest.sparse).toEqual({ model: 'splade-v3', topK: 128, minWeight: 0.01 });
  });

  it('reports a sink as failed when any batch failed it', () => {
    const commit = expectCommit(planCommit(incrementalInputs()));
    expect(commit.sinks).toEqual({ neo4j: { status: 'failed', detail: 'connection refused' }, opensearch: { status: 'ok' } });
  });
});

describe('planCommit: a run that changed nothing', () => {
  const unchangedPlan = runPlan([planned('a.py', 'ha'), planned('b.py', 'hb'), planned('c.py', 'hc')], version1);

  it('keeps the current version instead of writing a new one', () => {
    const result = planCommit({ ...incrementalInputs(), plan: unchangedPlan, staged: stagedChunks({}, []), sinkResults: [], denseBatches: [] });
    expect(result).toEqual({ kind: 'unchanged', manifest: version1 });
  });

  it('still writes a version when the same files come from another ref', () => {
    const otherRef = { ...run, source: { ...source, ref: 'v2.0' } };
    const commit = expectCommit(planCommit({ ...incrementalInputs(), plan: unchangedPlan, staged: stagedChunks({}, []), sinkResults: [], denseBatches: [], run: otherRef }));
    expect(commit.manifest.source).toEqual({ ...source, ref: 'v2.0' });
    expect(commit.manifest.files).toEqual({
      'a.py': { hash: 'ha', language: 'python', chunkIds: ['a1', 'a2'], size: 120, mtimeMs: 2_000 },
      'b.py': { hash: 'hb', language: 'python', chunkIds: ['b1'], size: 120, mtimeMs: 2_000 },
      'c.py': { hash: 'hc', language: 'python', chunkIds: ['c1'], size: 120, mtimeMs: 2_000 },
    });
    expect(commit.newVectors).toEqual([]);
    expect(commit.manifest.embedding).toEqual(version1.embedding);
  });
});

describe('planCommit: the repo moved on during the run', () => {
  it('refuses to commit over another index run’s version, with a message that says to start a new run', () => {
    const version2: Manifest = { ...version1, version: 2, runId: 'run-x', previousVersion: 1, files: { ...version1.files, 'e.py': entry('he', ['e1']) } };
    const error = expectRefused(planCommit(incrementalInputs({ current: version2 })));
    expect(error).toBeInstanceOf(CommitRefusedError);
    expect(error).toMatchObject({ reason: 'repo-moved', retryable: false, code: 'commit-refused' });
    expect(error.message).toBe('repo demo moved from version 1 to 2 during this run; start a new run');
  });

  it('refuses when the version it planned on is gone', () => {
    const error = expectRefused(planCommit(incrementalInputs({ current: null })));
    expect(error.message).toBe('repo demo moved from version 1 to undefined during this run; start a new run');
  });

  it('builds on a compaction committed meanwhile (same file digest), with its primary and its parts', () => {
    const compacted: Manifest = {
      ...version1,
      version: 2,
      runId: 'compact-1',
      kind: 'compaction',
      previousVersion: 1,
      parts: ['parts/compact-v2.parquet'],
      deletedChunkIds: [],
      vectors: { primary: vectorRef('faiss/v2-primary', 4), secondary: null },
    };
    const commit = expectCommit(planCommit(incrementalInputs({ current: compacted })));
    expect(commit.manifest.previousVersion).toBe(2);
    expect(commit.manifest.parts).toEqual(['parts/compact-v2.parquet', 'parts/run-2-b00000.parquet', 'parts/run-2-b00001.parquet']);
    expect(commit.manifest.deletedChunkIds).toEqual(['b1', 'c1']);
    expect(commit.vectors).toMatchObject({ kind: 'extend-secondary', primary: vectorRef('faiss/v2-primary', 4) });
  });

  it('lets a full run replace whatever version is current, removing its chunks that are gone', () => {
    const fullPlan = { ...runPlan([planned('a.py', 'ha'), planned('d.py', 'hd')], null), previousVersion: null, full: true };
    const commit = expectCommit(
      planCommit(
        incrementalInputs({
          plan: fullPlan,
          staged: stagedChunks({ 'a.py': ['a1', 'a2'], 'd.py': ['d1'] }, [['a1', 'a2', 'd1']]),
          sinkResults: [sinkResult(0)],
          denseBatches: [denseInfo(3)],
        }),
      ),
    );
    expect(commit.vectors).toEqual({ kind: 'build-primary', dim: 256 });
    expect(commit.manifest.parts).toEqual(['parts/run-2-b00000.parquet']);
    expect(commit.manifest.deletedChunkIds).toEqual([]);
    expect(commit.manifest.previousVersion).toBe(1);
    expect(commit.removeFromSinks.sort()).toEqual(['b1', 'c1']);
  });
});

describe('planCommit: embedding contracts', () => {
  it('refuses a run whose batches were embedded by different models', () => {
    const error = expectRefused(planCommit(incrementalInputs({ denseBatches: [denseInfo(2), denseInfo(1, contract('hashing-lexical-v1', 64))] })));
    expect(error).toMatchObject({ reason: 'mixed-models', retryable: false });
    expect(error.message).toBe('batches of run run-2 were embedded by different models (hashing-lexical-v1/256 vs hashing-lexical-v1/64); re-run with full: true');
  });

  it('refuses an incremental run whose model differs from the current version’s, which keeps serving', () => {
    const qwen = contract('Qwen/Qwen3-Embedding-8B', 4096);
    const error = expectRefused(planCommit(incrementalInputs({ denseBatches: [denseInfo(2, qwen), denseInfo(1, qwen)] })));
    expect(error).toMatchObject({ reason: 'model-changed', retryable: false });
    expect(error.message).toBe(
      'the embedding model changed from hashing-lexical-v1 (256-d) to Qwen/Qwen3-Embedding-8B (4096-d); ' +
        're-run with full: true to rebuild the index; the current version keeps serving until then',
    );
  });
});

describe('planCommit: parts', () => {
  it('refuses, retryably, a batch whose sink job returned no Parquet part', () => {
    const error = expectRefused(planCommit(incrementalInputs({ sinkResults: [sinkResult(0)] })));
    expect(error).toBeInstanceOf(BatchPartMissingError);
    expect(error).toMatchObject({ retryable: true, code: 'batch-part-missing', details: { runId: 'run-2', batch: 1 } });
    expect(error.message).toBe('batch 1 of run run-2 has no written Parquet part yet');
  });
});
