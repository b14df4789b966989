import type { JobsOptions, Processor } from 'bullmq';
import type { z } from 'zod';
import { InvalidPayloadError } from '../errors/invalidPayloadError.js';
import { QUEUES, type QueueName } from './queues.js';
import {
  answerRunPayload,
  encodeDensePayload,
  encodeSparsePayload,
  faissCompactPayload,
  indexRunPayload,
  sinkBatchPayload,
} from './payloads.js';
import type {
  AnswerRunResult,
  EncodeDenseResult,
  EncodeSparseResult,
  FaissCompactResult,
  IndexRunResult,
  SinkBatchResult,
} from './results.js';

interface JobDefinition<S extends z.ZodTypeAny> {
  /** the queue producers add it to and whose role's worker runs it */
  queue: QueueName;
  schema: S;
  /** retry policy: transient faults retry with jittered exponential backoff */
  options: JobsOptions;
}

const keep = { removeOnComplete: { age: 7 * 24 * 3600, count: 5000 }, removeOnFail: { age: 14 * 24 * 3600 } };
/** transient faults retry with jittered exponential backoff */
const retrying = (attempts: number, delay: number): JobsOptions => ({ attempts, backoff: { type: 'exponential', delay, jitter: 0.5 }, ...keep });

/**
 * The job registry: name → queue, payload schema, retry policy. Producers
 * take the queue from here (src/queue/producer.ts); each worker role consumes
 * the queue of its name (workers/queueWorker.ts validates payloads against
 * this registry), with the processors workers/roles.ts builds from jobs/.
 */
export const JOBS = {
  // processor: jobs/indexRun.ts (createIndexRunProcessor) · worker: role index (workers/roles.ts)
  'index.run': {
    queue: QUEUES.index,
    schema: indexRunPayload,
    options: retrying(3, 2_000),
  },
  // processor: jobs/encodeDense.ts (createEncodeDenseProcessor) · worker: role gpu
  'encode.dense': {
    queue: QUEUES.gpu,
    schema: encodeDensePayload,
    options: retrying(5, 1_000),
  },
  // processor: jobs/encodeSparse.ts (createEncodeSparseProcessor) · worker: role gpu, when a SPLADE model is configured
  'encode.sparse': {
    queue: QUEUES.gpu,
    schema: encodeSparsePayload,
    options: retrying(5, 1_000),
  },
  // processor: jobs/sinkBatch.ts (createSinkBatchProcessor) · worker: role sink
  'sink.batch': {
    queue: QUEUES.sink,
    schema: sinkBatchPayload,
    options: retrying(5, 1_000),
  },
  // processor: jobs/faissCompact.ts (createFaissCompactProcessor) · worker: role index
  'faiss.compact': {
    queue: QUEUES.index,
    schema: faissCompactPayload,
    options: retrying(2, 5_000),
  },
  // processor: jobs/answerRun.ts (createAnswerRunProcessor) · worker: role answer
  // one attempt: a retried answer would stream its tokens twice; a run that dies is reported as interrupted
  'answer.run': {
    queue: QUEUES.answer,
    schema: answerRunPayload,
    options: { attempts: 1, removeOnComplete: { age: 3600, count: 1000 }, removeOnFail: { age: 24 * 3600, count: 5000 } },
  },
} as const satisfies Record<string, JobDefinition<z.ZodTypeAny>>;

export type JobName = keyof typeof JOBS;
export const JOB_NAMES = Object.keys(JOBS) as JobName[];
export type PayloadOf<N extends JobName> = z.output<(typeof JOBS)[N]['schema']>;
/** what a producer hands in: defaults (e.g. `step`) may be left out */
export type PayloadInputOf<N extends JobName> = z.input<(typeof JOBS)[N]['schema']>;

/** What each job returns: the processor's promise and `job.returnvalue`. */
export interface JobResults {
  'index.run': IndexRunResult;
  'encode.dense': EncodeDenseResult;
  'encode.sparse': EncodeSparseResult;
  'sink.batch': SinkBatchResult;
  'faiss.compact': FaissCompactResult;
  'answer.run': AnswerRunResult;
}
export type ResultOf<N extends JobName> = JobResults[N];

export type QueueOf<N extends JobName> = (typeof JOBS)[N]['queue'];
/** The names of the jobs that run on queue Q. */
export type JobsOn<Q extends QueueName> = { [N in JobName]: QueueOf<N> extends Q ? N : never }[JobName];

/** A processor typed by the registry: BullMQ's Processor<Payload, Result, Name>. */
export type JobProcessor<N extends JobName> = Processor<PayloadOf<N>, ResultOf<N>, N>;

/** The processors of one queue's worker, by job name (a job may be absent, e.g. encode.sparse without SPLADE). */
export type QueueHandlers<Q extends QueueName> = { [N in JobsOn<Q>]?: JobProcessor<N> };

export const jobsOnQueue = (queue: QueueName): JobName[] => JOB_NAMES.filter((n) => JOBS[n].queue === queue);

/** Validate a payload against the registry (producer side and worker boundary). */
export function parsePayload<N extends JobName>(name: N, data: unknown): PayloadOf<N> {
  const parsed = JOBS[name].schema.safeParse(data);
  if (!parsed.success) {
    throw new InvalidPayloadError(name, parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; '));
  }
  return parsed.data as PayloadOf<N>;
}
