import { Router } from 'express';
import { Job, type Queue } from 'bullmq';
import { z } from 'zod';
import type { IndexRunPayload } from '../../contracts/payloads.js';
import type { IndexRunResult } from '../../contracts/results.js';
import type { IndexRunProgress } from '../../contracts/results.js';
import { submitIndexJob, type SubmitDeps } from '../../indexing/submit.js';
import type { RunProgress } from '../../queue/runProgress.js';
import { NotFoundError } from '../../errors/notFoundError.js';
import { problem } from '../problem.js';
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

/** The failedReason of a job named by its BullMQ key (`<prefix>:<queue>:<id>`), when known. */
export type FailedReasonOf = (jobKey: string) => Promise<string | null>;

/** Looks the child up in the queues this process holds (the runtime hands the API every queue). */
async function failedReasonOf(queues: Record<string, Queue>, jobKey: string): Promise<string | null> {
  const [queueName, id] = jobKey.split(':').slice(-2);
  const queue = queues[queueName];
  if (!queue || !id) return null;
  return (await Job.fromId(queue, id))?.failedReason || null;
}

/**
 * BullMQ fails a parent whose child failed with "child <key> failed", which tells a person
 * nothing; follow the chain down to the child that failed for a reason and say that.
 */
async function rootFailure(reason: string, readField?: FailedReasonOf): Promise<string> {
  let current = reason;
  for (let depth = 0; depth < 4 && readField; depth++) {
    const m = /^child (\S+) failed$/.exec(current);
    if (!m) break;
    const next = await readField(m[1]).catch(() => null);
    if (!next) break;
    const name = m[1].split(':').at(-1);
    current = /^child \S+ failed$/.test(next) ? next : `${name}: ${next}`;
  }
  return current;
}

/**
 * The API's view of an index job. `jobState` is the state read before `job` was: a state read after
 * the snapshot could be newer than it (completed, while the snapshot has no return value yet).
 */
export async function viewIndexJob(job: Job, jobState: string, progressStore: RunProgress, readField?: FailedReasonOf): Promise<IndexJobView> {
  const data = job.data as IndexRunPayload;
  const state = apiState(jobState);
  const stored = (typeof job.progress === 'object' ? job.progress : {}) as Partial<IndexRunProgress>;
  const live = state === 'completed' || state === 'failed' ? null : await progressStore.read(data.runId);
  const progress: IndexRunProgress = {
    phase: stored.phase ?? 'plan',
    files: stored.files ?? { total: 0, done: 0 },
    chunks: { total: 0, embedded: 0, expanded: 0, written: 0, ...stored.chunks, ...(live ?? {}) },
  };
  const view: IndexJobView = { jobId: job.id!, repo: data.repo, state, progress, attemptsMade: job.attemptsMade };
  if (state === 'completed') view.result = job.returnvalue as IndexRunResult;
  if (state === 'failed') view.error = problem(422, 'index-run-failed', await rootFailure(job.failedReason || 'the run failed', readField), { jobId: job.id });
  return view;
}

/** The view of index job `id`, or a 404 problem: one lookup for the route and the MCP index_status tool. */
export async function findIndexJobView(deps: { queues: SubmitDeps['queues']; progress: RunProgress }, id: string): Promise<IndexJobView> {
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(id)) throw new NotFoundError('job-not-found', `no index job with id "${id}"`);
  // state first, then the job: BullMQ sets a job's return value and its completed state in one step
  const jobState = await deps.queues.index.getJobState(id);
  const job = await deps.queues.index.getJob(id);
  if (!job || job.name !== 'index.run') throw new NotFoundError('job-not-found', `no index job with id "${id}"`);
  return viewIndexJob(job, jobState, deps.progress, (key) => failedReasonOf(deps.queues, key));
}

export function indexJobRoutes(deps: SubmitDeps & { progress: RunProgress }) {
  const router = Router();
  router.post('/v1/index-jobs', async (req, res) => {
    const body = parseBody(indexJobBody, req.body);
    const { jobId, repo } = await submitIndexJob(deps, body);
    res.status(202).location(`/v1/index-jobs/${jobId}`).json({ jobId, repo, statusUrl: `/v1/index-jobs/${jobId}` });
  });
  router.get('/v1/index-jobs/:id', async (req, res) => {
    res.json(await findIndexJobView(deps, req.params.id));
  });
  return router;
}
