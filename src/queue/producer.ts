import type { FlowJob, Job, JobsOptions, Queue } from 'bullmq';
import { JOBS, parsePayload, type JobName, type PayloadInputOf, type PayloadOf, type QueueOf, type ResultOf } from '../contracts/jobs.js';
import type { QueueName } from '../contracts/queues.js';

/** The queues a producer may add to, by name; a producer is handed only those it needs. */
export type JobQueues<Q extends QueueName = QueueName> = Record<Q, Queue>;

/**
 * Add a job to the queue the registry names for it, with the registry's
 * retry policy. The payload is validated here too, so a producer bug fails
 * at the producer, not on a worker.
 */
export async function enqueue<N extends JobName>(
  queues: JobQueues<QueueOf<N>>,
  name: N,
  payload: PayloadInputOf<N>,
  opts: JobsOptions = {},
): Promise<Job<PayloadOf<N>, ResultOf<N>, N>> {
  const def = JOBS[name];
  const queue = (queues as Record<QueueName, Queue>)[def.queue];
  return queue.add(name, parsePayload(name, payload), { ...def.options, ...opts }) as Promise<Job<PayloadOf<N>, ResultOf<N>, N>>;
}

/** A flow node for FlowProducer.add: queue and retry policy from the registry. */
export function flowJob<N extends JobName>(name: N, payload: PayloadInputOf<N>, opts: JobsOptions = {}, children?: FlowJob[]): FlowJob {
  const def = JOBS[name];
  return { name, queueName: def.queue, data: parsePayload(name, payload), opts: { ...def.options, ...opts }, ...(children ? { children } : {}) };
}
