import type { JobsOptions } from 'bullmq';
import type { z } from 'zod';
import { QUEUES, type QueueName } from '../src/queue/names.js';
import {
  answerRunPayload,
  encodeDensePayload,
  encodeSparsePayload,
  faissCompactPayload,
  indexRunPayload,
  sinkBatchPayload,
} from './payloads.js';

interface JobDefinition<S extends z.ZodTypeAny> {
  queue: QueueName;
  schema: S;
  /** retry policy: transient faults retry with jittered exponential backoff */
  options: JobsOptions;
}

const keep = { removeOnComplete: { age: 7 * 24 * 3600, count: 5000 }, removeOnFail: { age: 14 * 24 * 3600 } };

/** The job catalog: name → queue, payload schema, retry policy. */
export const JOBS = {
  'index.run': {
    queue: QUEUES.index,
    schema: indexRunPayload,
    options: { attempts: 3, backoff: { type: 'exponential', delay: 2_000, jitter: 0.5 }, ...keep },
  },
  'encode.dense': {
    queue: QUEUES.gpu,
    schema: encodeDensePayload,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 }, ...keep },
  },
  'encode.sparse': {
    queue: QUEUES.gpu,
    schema: encodeSparsePayload,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 }, ...keep },
  },
  'sink.batch': {
    queue: QUEUES.sink,
    schema: sinkBatchPayload,
    options: { attempts: 5, backoff: { type: 'exponential', delay: 1_000, jitter: 0.5 }, ...keep },
  },
  'faiss.compact': {
    queue: QUEUES.index,
    schema: faissCompactPayload,
    options: { attempts: 2, backoff: { type: 'exponential', delay: 5_000, jitter: 0.5 }, ...keep },
  },
  // one attempt: a retried answer would stream its tokens twice; a run that dies is reported as interrupted
  'answer.run': {
    queue: QUEUES.answer,
    schema: answerRunPayload,
    options: { attempts: 1, removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 24 * 3600, count: 5000 } },
  },
} satisfies Record<string, JobDefinition<z.ZodTypeAny>>;

export type JobName = keyof typeof JOBS;
export type PayloadOf<N extends JobName> = z.infer<(typeof JOBS)[N]['schema']>;

/** Validate a payload at the worker boundary; a bad payload can never succeed. */
export function parsePayload<N extends JobName>(name: N, data: unknown): PayloadOf<N> {
  return JOBS[name].schema.parse(data) as PayloadOf<N>;
}
