import { Router } from 'express';
import type { Job } from 'bullmq';
import { z } from 'zod';
import type { IndexRunPayload } from '../../contracts/payloads.js';
import type { IndexRunResult } from '../../contracts/results.js';
import type { IndexRunProgress } from '../../contracts/results.js';
import { submitIndexJob, type SubmitDeps } from '../../indexing/submit.js';
import type { RunProgress } from '../../queue/runProgress.js';
import { problem, ProblemError } from '../problem.js';
import { parseBody } from '../validate.js';

const indexJobBody = z
  .object({
    repo: z.string().min(1, 'must be an absolute path or a git URL').max(4096),
    name: z.string().min(1).max(100).optional(),
    ref: z.string().min(1).max(255).optional(),
    full: z.boolean().optional(),
  })
  .strict();

export type ApiJobState = 'waiting' | 'active' | 'completed' | 'failed';

/** BullMQ's states folded into the four the API promises. */
export function apiState(state: string): ApiJobState {
  switch (state) {
    case 'completed':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'active':
    case 'waiting-children':
      return 'active';
    default:
      return 'waiting';
  }
}

export interface IndexJobView {
  jobId: string;
  repo: string;
  state: ApiJobState;
  progress: IndexRunProgress;
  result?: IndexRunResult;
  error?: ReturnType<typeof problem>;
  attemptsMade: number;
}

export async function viewIndexJob(job: Job, progressStore: RunProgress): Promise<IndexJobView> {
  const data = job.data as IndexRunPayload;
  const state = apiState(await job.getState());
  const stored = (typeof job.progress === 'object' ? job.progress : {}) as Partial<IndexRunProgress>;
  const live = state === 'completed' || state === 'failed' ? null : await progressStore.read(data.runId);
  const progress: IndexRunProgress = {
    phase: stored.phase ?? 'plan',
    files: stored.files ?? { total: 0, done: 0 },
    chunks: { total: 0, embedded: 0, expanded: 0, written: 0, ...stored.chunks, ...(live ?? {}) },
  };
  const view: IndexJobView = { jobId: job.id!, repo: data.repo, state, progress, attemptsMade: job.attemptsMade };
  if (state === 'completed') view.result = job.returnvalue as IndexRunResult;
  if (state === 'failed') view.error = problem(422, 'index-run-failed', job.failedReason || 'the run failed', { jobId: job.id });
  return view;
}

export function indexJobRoutes(deps: SubmitDeps & { progress: RunProgress }) {
  const router = Router();
  router.post('/v1/index-jobs', async (req, res) => {
    const body = parseBody(indexJobBody, req.body);
    const { jobId, repo } = await submitIndexJob(deps, body);
    res.status(202).location(`/v1/index-jobs/${jobId}`).json({ jobId, repo, statusUrl: `/v1/index-jobs/${jobId}` });
  });
  router.get('/v1/index-jobs/:id', async (req, res) => {
    const id = req.params.id;
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(id)) throw new ProblemError(404, 'job-not-found', `no index job with id "${id}"`);
    const job = await deps.queues.index.getJob(id);
    if (!job || job.name !== 'index.run') throw new ProblemError(404, 'job-not-found', `no index job with id "${id}"`);
    res.json(await viewIndexJob(job, deps.progress));
  });
  return router;
}
