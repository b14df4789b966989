import path from 'node:path';
import { promises as fs } from 'node:fs';
import { UnrecoverableError, WaitingChildrenError, type FlowJob, type FlowProducer, type Job } from 'bullmq';
import type { Chunk } from '../src/chunking/chunk.js';
import type { ArtifactStore } from '../src/artifacts/store.js';
import type { Logger } from '../src/observability/logger.js';
import { liveChunkIds, type Manifest, type ManifestFileEntry } from '../src/manifest/manifest.js';
import type { ManifestStore } from '../src/manifest/store.js';
import type { RunProgress } from '../src/queue/runProgress.js';
import { QUEUES } from '../src/queue/names.js';
import { artifactKeys, childJobIds } from './artifactKeys.js';
import { JOBS, parsePayload } from './catalog.js';
import type { EncodeDenseResult, IndexRunPayload, IndexRunResult, SinkBatchResult } from './payloads.js';
import { diffFiles, type FileDiff } from '../src/indexing/diff.js';
import type { VectorIndexPlanner } from '../src/vector/planner.js';
import type { EmbeddingContract } from '../src/embedding/port.js';
import type { RepoLease, RepoLock } from '../src/manifest/repoLock.js';
import { contractChange, fileTableDigest } from '../src/indexing/versioning.js';
import { statCache } from '../src/indexing/statCache.js';
import { findCommittedBy } from '../src/manifest/lineage.js';
import type { RepoFile } from '../src/repo/snapshot.js';

/** What the plan step found: stored as an artifact, read by later steps. */
export interface RunPlan {
  files: PlannedFile[];
  diff: FileDiff;
  skipped: Record<string, number>;
  previousVersion: number | null;
  full: boolean;
  /** digest of the previous version's file table: a compaction may commit meanwhile, an index run may not */
  baseDigest?: string;
  /** why a run that did not ask for it rebuilds everything (e.g. the embedding model changed) */
  rebuild?: string;
  /** when the listing started (ISO): stored as the version's scannedAt */
  scannedAt?: string;
}
export interface PlannedFile {
  path: string;
  hash: string;
  language: string;
  size: number;
  mtimeMs?: number;
}

/** What the chunk step staged: per file its chunk ids, per batch its size. */
interface StagedChunks {
  fileChunks: Record<string, string[]>;
  batchSizes: number[];
  /** chunk ids of each batch, in the order of its vectors */
  batchIds: string[][];
  /** chunk ids already live in the previous version that changed files kept */
  reused: number;
}

export interface SnapshotPort {
  listFiles(): Promise<{ files: PlannedFile[]; skipped: { path: string; reason: string }[] }>;
  read(relPath: string): Promise<string>;
}
export interface ChunkerPort {
  chunkFile(relPath: string, text: string, language: string): Chunk[];
}

export interface IndexRunDeps {
  logger: Logger;
  artifacts: ArtifactStore;
  manifests: ManifestStore;
  flows: FlowProducer;
  progress: RunProgress;
  batchSize: number;
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

export interface IndexRunProgress {
  phase: 'plan' | 'chunk' | 'encode' | 'finalize' | 'done';
  files: { total: number; done: number };
  chunks: { total: number; embedded: number; expanded: number; written: number };
}

const emptyProgress = (): IndexRunProgress => ({
  phase: 'plan',
  files: { total: 0, done: 0 },
  chunks: { total: 0, embedded: 0, expanded: 0, written: 0 },
});

/**
 * index.run, a BullMQ step job: plan → chunk (adds one sub-flow per batch
 * as children, then waits for them) → finalize. The current step is kept in
 * the job data, so a retried or resumed job continues where it stopped and
 * never redoes committed work.
 */
export function createIndexRunProcessor(deps: IndexRunDeps) {
  return async function processIndexRun(job: Job, token?: string): Promise<IndexRunResult> {
    let data = parsePayload('index.run', job.data);
    const log = deps.logger.child({ job: 'index.run', jobId: job.id, runId: data.runId, repo: data.repo });
    const started = Date.parse(data.requestedAt) || Date.now();
    let progress: IndexRunProgress = { ...emptyProgress(), ...(typeof job.progress === 'object' ? (job.progress as object) : {}) };
    const report = async (patch: Partial<IndexRunProgress>) => {
      progress = { ...progress, ...patch };
      await job.updateProgress(progress);
    };
    const advance = async (patch: Partial<IndexRunPayload>) => {
      data = { ...data, ...patch };
      await job.updateData(data);
    };

    while (true) {
      switch (data.step) {
        case 'plan': {
          await report({ phase: 'plan' });
          const plan = await planRun(deps, data, log);
          await report({ files: { total: plan.diff.added.length + plan.diff.changed.length, done: 0 } });
          await advance({ step: 'chunk' });
          break;
        }
        case 'chunk': {
          await report({ phase: 'chunk' });
          // each batch's flow starts as soon as it is staged, so encoding overlaps chunking
          const staged = await stageChunks(deps, data, report, log, (batch) => addBatchFlow(deps, job, data, batch));
          const batches = staged.batchSizes.length;
          await report({
            phase: batches ? 'encode' : 'finalize',
            chunks: { ...progress.chunks, total: staged.batchSizes.reduce((a, b) => a + b, 0) },
          });
          await advance({ step: 'finalize', batches });
          if (batches && token && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
          break;
        }
        case 'finalize': {
          const live = await deps.progress.read(data.runId);
          await report({ phase: 'finalize', chunks: { ...progress.chunks, ...live } });
          const result = deps.repoLock
            ? await deps.repoLock.withLock(data.repo, (lease) => finalizeRun(deps, job, data, started, log, lease))
            : await finalizeRun(deps, job, data, started, log);
          await advance({ step: 'done' });
          await report({ phase: 'done', files: { total: progress.files.total, done: progress.files.total } });
          await cleanupRun(deps, data);
          log.info({ result }, 'index run committed');
          return result;
        }
        case 'done': {
          // a crash after commit but before completion: the committed manifest is the result
          // (a compaction may have committed after it, and a run that changed nothing commits no version)
          const manifest = await deps.manifests.current(data.repo);
          if (!manifest) throw new UnrecoverableError(`run ${data.runId} was marked done but repo ${data.repo} has no committed version`);
          return resultFromManifest(manifest, started, await deps.artifacts.getJson<RunPlan>(artifactKeys.plan(data.runId)).catch(() => null));
        }
      }
    }
  };
}

async function planRun(deps: IndexRunDeps, data: IndexRunPayload, log: Logger): Promise<RunPlan> {
  const previous = data.full ? null : await deps.manifests.current(data.repo);
  const scannedAt = new Date().toISOString();
  // a full run reads every file; otherwise files whose size and mtime did not change keep their hash
  const snapshot = await deps.openSnapshot(data.source, previous ? { knownFile: statCache(previous) } : undefined);
  const { files, skipped } = await snapshot.listFiles();
  const skippedCounts: Record<string, number> = {};
  for (const s of skipped) skippedCounts[s.reason] = (skippedCounts[s.reason] ?? 0) + 1;
  if (files.length === 0 && !(await deps.manifests.current(data.repo))) {
    const why = skipped.length
      ? `all ${skipped.length} files were skipped (${Object.entries(skippedCounts).map(([k, v]) => `${v} ${k}`).join(', ')})`
      : 'the repository has no files';
    throw new UnrecoverableError(`nothing to index in ${data.source.location}: ${why}`);
  }
  // a new embedding model: rebuild everything into a new version; the current one serves until it commits
  const serving = previous && deps.embeddingContract ? await deps.embeddingContract().catch(() => null) : null;
  const rebuild = previous && serving ? contractChange(previous.embedding, serving) : null;
  const base = rebuild ? null : previous;
  const diff = diffFiles(base?.files ?? {}, files);
  const plan: RunPlan = {
    files,
    diff,
    skipped: skippedCounts,
    previousVersion: base?.version ?? null,
    full: data.full || !base,
    scannedAt,
    ...(base ? { baseDigest: fileTableDigest(base.files) } : {}),
    ...(rebuild ? { rebuild: `${rebuild}: full rebuild` } : {}),
  };
  if (rebuild) log.warn({ previous: previous!.embedding, serving }, `${rebuild}; this run rebuilds the whole index`);
  await deps.artifacts.putJson(artifactKeys.plan(data.runId), plan);
  log.info(
    { files: files.length, added: diff.added.length, changed: diff.changed.length, deleted: diff.deleted.length, unchanged: diff.unchanged.length, skipped: skippedCounts },
    'plan ready',
  );
  return plan;
}

async function stageChunks(
  deps: IndexRunDeps,
  data: IndexRunPayload,
  report: (p: Partial<IndexRunProgress>) => Promise<void>,
  log: Logger,
  onBatchStaged: (batchIndex: number) => Promise<void>,
): Promise<StagedChunks> {
  const plan = await deps.artifacts.getJson<RunPlan>(artifactKeys.plan(data.runId));
  const previous = plan.full ? null : await deps.manifests.current(data.repo);
  const alreadyLive = previous ? liveChunkIds(previous) : new Set<string>();
  const snapshot = await deps.openSnapshot(data.source);
  const chunker = deps.createChunker();
  const byPath = new Map(plan.files.map((f) => [f.path, f]));
  const todo = [...plan.diff.added, ...plan.diff.changed].sort();
  const fileChunks: Record<string, string[]> = {};
  const batchSizes: number[] = [];
  const batchIds: string[][] = [];
  let pending: Chunk[] = [];
  let reused = 0;
  const flush = async () => {
    if (!pending.length) return;
    const batchIndex = batchSizes.length;
    await deps.artifacts.putJson(artifactKeys.chunks(data.runId, batchIndex), pending);
    batchSizes.push(pending.length);
    batchIds.push(pending.map((c) => c.id));
    pending = [];
    await onBatchStaged(batchIndex);
  };
  let done = 0;
  let lastReport = Date.now();
  for await (const [rel, text] of readAhead(todo, (p) => snapshot.read(p), 16)) {
    const file = byPath.get(rel)!;
    let chunks: Chunk[] = [];
    try {
      if (text instanceof Error) throw text;
      chunks = chunker.chunkFile(rel, text, file.language);
    } catch (err) {
      log.warn({ path: rel, err: (err as Error).message }, 'file could not be read or chunked; skipped');
    }
    fileChunks[rel] = chunks.map((c) => c.id);
    for (const c of chunks) {
      // A chunk a changed file kept verbatim is written again: its id is
      // content-derived but its line numbers (and enclosing symbols) move
      // when lines above it change, and the catalog takes the newest part's row.
      if (alreadyLive.has(c.id)) reused++;
      pending.push(c);
      if (pending.length >= deps.batchSize) await flush();
    }
    done++;
    if (Date.now() - lastReport > 500) {
      lastReport = Date.now();
      await report({ files: { total: todo.length, done }, chunks: { total: batchSizes.reduce((a, b) => a + b, 0) + pending.length, ...(await deps.progress.read(data.runId)) } });
    }
  }
  await flush();
  await report({ files: { total: todo.length, done } });
  await deps.artifacts.putJson(`${artifactKeys.run(data.runId)}/staged.json`, { fileChunks, batchSizes, batchIds, reused });
  log.info({ files: todo.length, batches: batchSizes.length, chunks: batchSizes.reduce((a, b) => a + b, 0), reused }, 'chunks staged');
  return { fileChunks, batchSizes, batchIds, reused };
}

/**
 * Yield each path with its content (or the read error) in order, keeping up
 * to `depth` reads in flight so chunking never waits on the disk.
 */
async function* readAhead(paths: string[], read: (p: string) => Promise<string>, depth: number): AsyncGenerator<[string, string | Error]> {
  const inFlight: Promise<string | Error>[] = [];
  let next = 0;
  const start = () => {
    const p = paths[next++];
    inFlight.push(read(p).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
  };
  while (next < paths.length && inFlight.length < depth) start();
  for (let i = 0; i < paths.length; i++) {
    const text = await inFlight.shift()!;
    if (next < paths.length) start();
    yield [paths[i], text];
  }
}

/**
 * One sub-flow per batch: sink.batch with encode.dense (and encode.sparse) as
 * its children, itself a child of the run. Deterministic ids make re-adding
 * after a crash a no-op.
 */
async function addBatchFlow(deps: IndexRunDeps, job: Job, data: IndexRunPayload, b: number) {
  const parent = { id: job.id!, queue: job.queueQualifiedName };
  const ref = { runId: data.runId, repo: data.repo, batchIndex: b };
  const children: FlowJob[] = [
    {
      name: 'encode.dense',
      queueName: QUEUES.gpu,
      data: ref,
      opts: { ...JOBS['encode.dense'].options, jobId: childJobIds.dense(data.runId, b), failParentOnFailure: true },
    },
  ];
  if (deps.sparseEnabled) {
    children.push({
      name: 'encode.sparse',
      queueName: QUEUES.gpu,
      data: ref,
      opts: { ...JOBS['encode.sparse'].options, jobId: childJobIds.sparse(data.runId, b), failParentOnFailure: true },
    });
  }
  await deps.flows.add({
    name: 'sink.batch',
    queueName: QUEUES.sink,
    data: { ...ref, sparse: deps.sparseEnabled },
    opts: { ...JOBS['sink.batch'].options, jobId: childJobIds.sink(data.runId, b), parent, failParentOnFailure: true },
    children,
  });
}

async function finalizeRun(
  deps: IndexRunDeps,
  job: Job,
  data: IndexRunPayload,
  started: number,
  log: Logger,
  lease?: RepoLease,
): Promise<IndexRunResult> {
  const current = await deps.manifests.current(data.repo);
  const plan = await deps.artifacts.getJson<RunPlan>(artifactKeys.plan(data.runId));
  // committed before a crash (perhaps with a compaction on top since)
  const mine = await findCommittedBy(deps.manifests, current, data.runId, started);
  if (mine) return resultFromManifest(mine, started, plan);
  const staged = await deps.artifacts.getJson<StagedChunks>(`${artifactKeys.run(data.runId)}/staged.json`);
  const batches = staged.batchSizes.length;
  const previous = plan.full ? null : current;
  // a compaction may have committed since the plan (same files, new FAISS layout): build on it
  const rebased = !plan.full && !!current && current.version !== plan.previousVersion && !!plan.baseDigest && fileTableDigest(current.files) === plan.baseDigest;
  if (!plan.full && (current?.version ?? null) !== plan.previousVersion && !rebased) {
    throw new UnrecoverableError(
      `repo ${data.repo} moved from version ${plan.previousVersion} to ${current?.version} during this run; start a new run`,
    );
  }

  const d = plan.diff;
  if (previous && batches === 0 && d.added.length + d.changed.length + d.deleted.length === 0 && sameSource(previous.source, data.source)) {
    log.info({ version: previous.version }, 'nothing changed: the current version stays');
    return resultFromManifest(previous, started, plan);
  }

  // children results: the Parquet part and sink statuses per batch
  const childValues = (await job.getChildrenValues()) as Record<string, SinkBatchResult>;
  const sinkResults = Object.values(childValues).filter((v) => v && typeof v.batchIndex === 'number');
  const partsByBatch = new Map(sinkResults.map((r) => [r.batchIndex, r.part]));
  const newParts: string[] = [];
  for (let b = 0; b < batches; b++) {
    const part = partsByBatch.get(b);
    if (!part) throw new Error(`batch ${b} of run ${data.runId} has no written Parquet part yet`);
    newParts.push(part);
  }

  // the embedding contract every batch used; a run never mixes models or dimensions
  const contracts = await Promise.all(
    Array.from({ length: batches }, (_, b) => deps.artifacts.getJson<EncodeDenseResult & { contract: Manifest['embedding'] }>(artifactKeys.denseContract(data.runId, b))),
  );
  const contract = contracts[0]?.contract ?? previous?.embedding ?? current?.embedding;
  if (!contract) throw new UnrecoverableError(`run ${data.runId} produced no embeddings and the repo has no previous version`);
  for (const c of contracts) {
    if (c.contract.model !== contract.model || c.contract.dim !== contract.dim) {
      throw new UnrecoverableError(
        `batches of run ${data.runId} were embedded by different models (${contract.model}/${contract.dim} vs ${c.contract.model}/${c.contract.dim}); re-run with full: true`,
      );
    }
  }
  if (previous && (previous.embedding.model !== contract.model || previous.embedding.dim !== contract.dim)) {
    throw new UnrecoverableError(
      `the embedding model changed from ${previous.embedding.model} (${previous.embedding.dim}-d) to ${contract.model} (${contract.dim}-d); ` +
        `re-run with full: true to rebuild the index; the current version keeps serving until then`,
    );
  }

  // new vectors, in batch order
  const ids: string[] = [];
  const rows: Float32Array[] = [];
  for (let b = 0; b < batches; b++) {
    const batchIds = staged.batchIds[b];
    const dense = await deps.artifacts.getVectors(artifactKeys.dense(data.runId, b));
    if (dense.length !== batchIds.length) throw new Error(`batch ${b}: ${batchIds.length} chunks but ${dense.length} vectors`);
    batchIds.forEach((id, i) => {
      ids.push(id);
      rows.push(dense[i]);
    });
  }

  // the file table of the new version
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
  const newLive = liveChunkIds({ files });
  const version = await deps.manifests.nextVersion(data.repo);
  const repoDir = deps.manifests.repoDir(data.repo);

  let vectors: Manifest['vectors'];
  let parts: string[];
  let deleted: Set<string>;
  if (!previous) {
    const primary = ids.length ? await deps.vectorPlanner.buildPrimary({ repoDir, version, dim: contract.dim, ids, rows }) : null;
    vectors = { primary, secondary: null };
    parts = newParts;
    deleted = new Set(ids.filter((id) => !newLive.has(id)));
  } else {
    const secondary = await deps.vectorPlanner.extendSecondary({
      repoDir,
      version,
      dim: contract.dim,
      previous: previous.vectors.secondary,
      ids,
      rows,
      keep: (id) => newLive.has(id),
    });
    vectors = { primary: previous.vectors.primary, secondary };
    parts = [...previous.parts, ...newParts];
    deleted = new Set<string>();
    for (const id of previous.deletedChunkIds) if (!newLive.has(id)) deleted.add(id);
    for (const id of liveChunkIds(previous)) if (!newLive.has(id)) deleted.add(id);
  }

  const manifest: Manifest = {
    formatVersion: 1,
    version,
    repo: data.repo,
    source: data.source,
    runId: data.runId,
    createdAt: new Date().toISOString(),
    embedding: contract,
    sparse: (await readSparseContract(deps, data.runId, batches)) ?? previous?.sparse ?? null,
    files,
    parts,
    deletedChunkIds: [...deleted],
    vectors,
    stats: { files: Object.keys(files).length, chunks: newLive.size },
    kind: 'index',
    previousVersion: current?.version ?? null,
    ...(plan.scannedAt ? { scannedAt: plan.scannedAt } : {}),
  };
  // the lease may have expired while the vectors were written: then another writer may be at work
  lease?.assertHeld();
  if ((await deps.manifests.currentVersion(data.repo)) !== (current?.version ?? null)) {
    throw new Error(`repo ${data.repo} moved past version ${current?.version} while this run was committing; the run will retry`);
  }
  await deps.manifests.commit(manifest);
  log.info({ version, chunks: newLive.size, newVectors: ids.length, deleted: deleted.size }, 'manifest committed');
  await deps.afterCommit?.(manifest).catch((err) => log.warn({ err: (err as Error).message }, 'post-commit hook failed'));

  const sinks: IndexRunResult['sinks'] = {};
  for (const r of sinkResults) {
    for (const [name, s] of Object.entries(r.sinks ?? {})) {
      if (!sinks[name] || s.status === 'failed') sinks[name] = s;
    }
  }
  // chunks the committed version no longer has: the ones `current` served, and new ones no file kept
  const removed = new Set<string>(current ? [...liveChunkIds(current)] : []);
  for (const id of ids) removed.add(id);
  for (const id of newLive) removed.delete(id);
  if (removed.size > 0 && deps.removeFromSinks) {
    const removal = await deps.removeFromSinks(data.repo, data.runId, [...removed]).catch((err): IndexRunResult['sinks'] => {
      log.warn({ err: (err as Error).message }, 'removing deleted chunks from the optional sinks failed');
      return {};
    });
    for (const [name, s] of Object.entries(removal)) {
      if (s.status === 'failed' && sinks[name]?.status !== 'failed') {
        sinks[name] = { status: 'failed', detail: `deleting ${removed.size} removed chunks: ${s.detail ?? 'failed'}` };
      } else if (!sinks[name]) sinks[name] = s;
    }
  }
  return { ...resultFromManifest(manifest, started, plan), sinks };
}

/** Same place and ref (a git source is cloned afresh into a new directory by every run). */
const sameSource = (a: Manifest['source'], b: Manifest['source']) =>
  a.kind === b.kind && a.location === b.location && (a.ref ?? null) === (b.ref ?? null) && (a.kind === 'git' || a.root === b.root);

async function readSparseContract(deps: IndexRunDeps, runId: string, batches: number) {
  if (!deps.sparseEnabled || batches === 0) return null;
  const first = await deps.artifacts.getJson<{ contract: Manifest['sparse'] }>(artifactKeys.sparse(runId, 0)).catch(() => null);
  return first?.contract ?? null;
}

function resultFromManifest(manifest: Manifest, started: number, plan: RunPlan | null): IndexRunResult {
  const d = plan?.diff;
  const changedNothing = d && d.added.length + d.changed.length + d.deleted.length === 0;
  return {
    manifestVersion: manifest.version,
    files: manifest.stats.files,
    chunks: manifest.stats.chunks,
    added: d?.added.length ?? 0,
    changed: d?.changed.length ?? 0,
    deleted: d?.deleted.length ?? 0,
    unchanged: d?.unchanged.length ?? 0,
    durationMs: Date.now() - started,
    embedding: { model: manifest.embedding.model, dim: manifest.embedding.dim },
    skipped: plan?.skipped ?? {},
    sinks: {},
    ...(plan?.rebuild ? { note: plan.rebuild } : changedNothing ? { note: 'nothing changed since the previous version' } : {}),
  };
}

async function cleanupRun(deps: IndexRunDeps, data: IndexRunPayload) {
  await deps.artifacts.removePrefix(artifactKeys.run(data.runId));
  // temp files a killed sink writer of this run left beside the parts (never at a final name)
  const partsDir = path.join(deps.manifests.repoDir(data.repo), 'parts');
  const stale = (await fs.readdir(partsDir).catch(() => [] as string[])).filter((f) => f.startsWith(`.part-${data.runId}-`) && f.endsWith('.tmp'));
  await Promise.all(stale.map((f) => fs.rm(path.join(partsDir, f), { force: true })));
  await deps.progress.clear(data.runId);
  if (data.ownedCloneDir) await fs.rm(path.resolve(data.ownedCloneDir), { recursive: true, force: true });
}
