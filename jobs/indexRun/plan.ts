import { UnrecoverableError } from 'bullmq';
import type { Logger } from '../../src/observability/logger.js';
import { artifactKeys } from '../../src/contracts/artifacts.js';
import type { IndexRunPayload } from '../../src/contracts/payloads.js';
import { diffFiles } from '../../src/indexing/diff.js';
import { contractChange, fileTableDigest } from '../../src/indexing/versioning.js';
import { statCache } from '../../src/indexing/statCache.js';

import type { IndexRunDeps } from './types.js';
import type { RunPlan } from '../../src/contracts/artifacts.js';

/** Plan: list and hash the files, diff them against the current version, store the plan. */
export async function planRun(deps: IndexRunDeps, data: IndexRunPayload, log: Logger): Promise<RunPlan> {
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

