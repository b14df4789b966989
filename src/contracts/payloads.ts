import { z } from 'zod';
import { REPO_NAME_PATTERN, RUN_ID_PATTERN } from './names.js';

/**
 * Job payloads, typed once and shared by the producers (API, CLI, the index
 * job adding its children) and the workers. Payloads carry references into
 * the artifact store, never chunk text or vectors.
 */

const repoName = z.string().regex(REPO_NAME_PATTERN);
const runId = z.string().regex(RUN_ID_PATTERN);

export const repoSourceSchema = z.object({
  kind: z.enum(['local', 'git']),
  /** the path or URL the client asked for */
  location: z.string().min(1),
  /** the directory that is scanned (realpath or clone dir) */
  root: z.string().min(1),
  ref: z.string().optional(),
});
export type RepoSource = z.infer<typeof repoSourceSchema>;

export const indexRunStepSchema = z.enum(['plan', 'chunk', 'finalize', 'done']);
export type IndexRunStep = z.infer<typeof indexRunStepSchema>;

export const indexRunPayload = z.object({
  runId,
  repo: repoName,
  source: repoSourceSchema,
  full: z.boolean().default(false),
  requestedAt: z.string(),
  /** the step to resume at; updated with job.updateData as steps complete */
  step: indexRunStepSchema.default('plan'),
  /** set by the chunk step: how many batches were staged */
  batches: z.number().int().nonnegative().optional(),
  /** a source (e.g. a git clone) the run owns and removes when it ends */
  ownedCloneDir: z.string().optional(),
});
export type IndexRunPayload = z.infer<typeof indexRunPayload>;

export const batchRefPayload = z.object({
  runId,
  repo: repoName,
  batchIndex: z.number().int().nonnegative(),
  /**
   * The artifact store holding the batch (its store-id). A worker of another store leaves
   * the job for a worker that can reach it. Optional: jobs queued before it existed lack it.
   */
  store: z.string().optional(),
});

export type BatchRefPayload = z.infer<typeof batchRefPayload>;

export const encodeDensePayload = batchRefPayload;
export type EncodeDensePayload = z.infer<typeof encodeDensePayload>;
export const encodeSparsePayload = batchRefPayload;
export type EncodeSparsePayload = z.infer<typeof encodeSparsePayload>;
export const sinkBatchPayload = batchRefPayload.extend({ sparse: z.boolean() });
export type SinkBatchPayload = z.infer<typeof sinkBatchPayload>;

export const faissCompactPayload = z.object({ repo: repoName, reason: z.string().default('threshold') });
export type FaissCompactPayload = z.infer<typeof faissCompactPayload>;

/** answer.run: one question about one repo; the events go to Redis, not into the job's return value. */
export const answerRunPayload = z.object({
  answerId: z.string().uuid(),
  repo: repoName,
  question: z.string().min(1).max(4000),
  k: z.number().int().min(1).max(50),
  filters: z
    .object({ paths: z.array(z.string()).optional(), languages: z.array(z.string()).optional() })
    .optional(),
  sessionId: z.string().optional(),
  /** epoch ms when the API accepted the question */
  requestedAt: z.number().int(),
});
export type AnswerRunPayload = z.infer<typeof answerRunPayload>;
