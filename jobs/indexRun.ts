import { UnrecoverableError, WaitingChildrenError } from 'bullmq';
import { artifactKeys, runPlanSchema } from '../src/contracts/artifacts.js';
import type { JobProcessor } from '../src/contracts/jobs.js';
import type { IndexRunPayload } from '../src/contracts/payloads.js';

import { emptyProgress, type IndexRunProgress } from '../src/contracts/results.js';
import { type IndexRunDeps } from './indexRun/types.js';
import { planRun } from './indexRun/plan.js';
import { addBatchFlow, stageChunks } from './indexRun/stage.js';
import { cleanupRun, finalizeRun, resultFromManifest } from './indexRun/finalize.js';

export type { ChunkerPort, IndexRunDeps, SnapshotPort } from './indexRun/types.js';
export type { IndexRunProgress } from '../src/contracts/results.js';
export type { PlannedFile, RunPlan } from '../src/contracts/artifacts.js';

/**
 * index.run, a BullMQ step job: plan → chunk (adds one sub-flow per batch
 * as children, then waits for them) → finalize. The current step is kept in
 * the job data, so a retried or resumed job continues where it stopped and
 * never redoes committed work.
 */
export function createIndexRunProcessor(deps: IndexRunDeps): JobProcessor<'index.run'> {
  return async function processIndexRun(job, token) {
    let data = job.data;
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
          return resultFromManifest(manifest, started, await deps.artifacts.getJson(artifactKeys.plan(data.runId), runPlanSchema).catch(() => null));
        }
      }
    }
  };
}

