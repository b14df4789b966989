import type { JobQueues } from '../../queue/producer.js';
import { Router } from 'express';
import { enqueueCompaction } from '../../indexing/compaction.js';
import { REPO_NAME_PATTERN } from '../../contracts/names.js';
import { type ManifestStore } from '../../manifest/store.js';
import { ProblemError, problem } from '../problem.js';
import { apiState } from './indexJobs.js';

/**
 * On-demand compaction: `POST /v1/repos/:name/compact` queues faiss.compact
 * (one per repo at a time: a second request answers with the queued job's
 * id) and `GET /v1/compact-jobs/:id` reports it.
 */
export function compactRoutes(deps: { queues: JobQueues<'index'>; manifests: ManifestStore }) {
  const router = Router();
  router.post('/v1/repos/:name/compact', async (req, res) => {
    const name = req.params.name;
    if (!REPO_NAME_PATTERN.test(name) || (await deps.manifests.currentVersion(name)) === null) {
      throw new ProblemError(404, 'repo-not-found', `no indexed repo named "${name}"`);
    }
    const { jobId, alreadyQueued } = await enqueueCompaction(deps.queues, name, 'requested');
    res
      .status(202)
      .location(`/v1/compact-jobs/${jobId}`)
      .json({ jobId, repo: name, statusUrl: `/v1/compact-jobs/${jobId}`, ...(alreadyQueued ? { alreadyQueued: true } : {}) });
  });
  router.get('/v1/compact-jobs/:id', async (req, res) => {
    const id = req.params.id;
    const job = /^[A-Za-z0-9._-]{1,200}$/.test(id) ? await deps.queues.index.getJob(id) : undefined;
    if (!job || job.name !== 'faiss.compact') throw new ProblemError(404, 'job-not-found', `no compaction job with id "${id}"`);
    const state = apiState(await job.getState());
    res.json({
      jobId: job.id,
      repo: (job.data as { repo: string }).repo,
      state,
      ...(state === 'completed' ? { result: job.returnvalue } : {}),
      ...(state === 'failed' ? { error: problem(422, 'compaction-failed', job.failedReason || 'the compaction failed', { jobId: job.id }) } : {}),
      attemptsMade: job.attemptsMade,
    });
  });
  return router;
}
