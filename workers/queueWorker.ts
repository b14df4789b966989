import { DelayedError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { jobsOnQueue, parsePayload, type JobName, type QueueHandlers } from '../src/contracts/jobs.js';
import type { QueueName } from '../src/contracts/queues.js';
import type { Logger } from '../src/observability/logger.js';
import { toJobError } from '../jobs/jobErrors.js';

export interface QueueWorkerOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  lockMs: number;
  stalledIntervalMs: number;
  logger: Logger;
  /** each job's run time, for job_duration_ms */
  observe?: (job: Job, status: 'completed' | 'failed') => void;
  /** this process's artifact store; a job naming another store is left for its own workers */
  storeId?: string;
  /** how long such a job is put back for before a worker looks at it again (default 5000 ms) */
  foreignStoreDelayMs?: number;
}

/**
 * One BullMQ Worker for one queue of the registry. It validates each payload
 * against the registry at the boundary (a payload that fails its schema is
 * an UnrecoverableError, never retried), dispatches by job name to the typed
 * processor, and turns non-retryable domain errors into UnrecoverableError.
 */
export function startQueueWorker<Q extends QueueName>(queue: Q, handlers: QueueHandlers<Q>, opts: QueueWorkerOptions): Worker {
  const log = opts.logger.child({ queue });
  const known = new Set<string>(jobsOnQueue(queue));
  const byName = handlers as Partial<Record<JobName, (job: Job, token?: string) => Promise<unknown>>>;
  const worker = new Worker(
    queue,
    async (job: Job, token?: string) => {
      const name = job.name as JobName;
      const handler = known.has(name) ? byName[name] : undefined;
      // retried, not failed: another worker of this queue may have the processor (e.g. a SPLADE model)
      if (!handler) throw new Error(`no processor for job "${job.name}" on queue "${queue}" in this worker`);
      const store = (job.data as { store?: unknown } | undefined)?.store;
      if (opts.storeId && typeof store === 'string' && store !== opts.storeId && token) {
        // Its artifacts are in a store this worker cannot reach: put it back untouched (not an attempt, not a failure).
        log.warn({ jobId: job.id, name: job.name, jobStore: store, ownStore: opts.storeId }, 'job belongs to another artifact store; left for its own workers');
        await job.moveToDelayed(Date.now() + (opts.foreignStoreDelayMs ?? 5000), token);
        throw new DelayedError();
      }
      try {
        job.data = parsePayload(name, job.data);
        return await handler(job, token);
      } catch (err) {
        throw toJobError(err);
      }
    },
    {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      lockDuration: opts.lockMs,
      stalledInterval: opts.stalledIntervalMs,
      maxStalledCount: 2,
    },
  );
  worker.on('completed', (job) => opts.observe?.(job, 'completed'));
  worker.on('failed', (job, err) => {
    if (job) opts.observe?.(job, 'failed');
    if (err?.name === 'WaitingChildrenError') return;
    log.warn({ jobId: job?.id, name: job?.name, attemptsMade: job?.attemptsMade, err }, 'job failed');
  });
  worker.on('error', (err) => log.error({ err }, 'worker error'));
  // BullMQ leaves open a connection it was handed: close it with the worker, or the process never exits
  worker.once('closed', () => opts.connection.disconnect());
  return worker;
}
