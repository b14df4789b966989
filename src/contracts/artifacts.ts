import { z } from 'zod';
import { chunkSchema } from './chunk.js';

/**
 * Staged artifacts of a run: their keys and their schemas, in one place so
 * producer and workers agree. Every JSON artifact is validated when it is
 * read back (ArtifactStore.getJson takes the schema).
 */
const pad = (n: number) => String(n).padStart(5, '0');

export const artifactKeys = {
  run: (runId: string) => `runs/${runId}`,
  plan: (runId: string) => `runs/${runId}/plan.json`,
  staged: (runId: string) => `runs/${runId}/staged.json`,
  chunks: (runId: string, batch: number) => `runs/${runId}/b${pad(batch)}.chunks.json`,
  dense: (runId: string, batch: number) => `runs/${runId}/b${pad(batch)}.dense.f32`,
  denseContract: (runId: string, batch: number) => `runs/${runId}/b${pad(batch)}.dense.json`,
  sparse: (runId: string, batch: number) => `runs/${runId}/b${pad(batch)}.sparse.json`,
};

/** Deterministic child job ids (BullMQ custom ids may not contain ':'). */
export const childJobIds = {
  sink: (runId: string, batch: number) => `${runId}-b${pad(batch)}-sink`,
  dense: (runId: string, batch: number) => `${runId}-b${pad(batch)}-dense`,
  sparse: (runId: string, batch: number) => `${runId}-b${pad(batch)}-sparse`,
};

export const plannedFileSchema = z.object({
  path: z.string(),
  hash: z.string(),
  language: z.string(),
  size: z.number().nonnegative(),
  mtimeMs: z.number().optional(),
});
export type PlannedFile = z.infer<typeof plannedFileSchema>;

export const fileDiffSchema = z.object({
  added: z.array(z.string()),
  changed: z.array(z.string()),
  deleted: z.array(z.string()),
  unchanged: z.array(z.string()),
});
export type FileDiff = z.infer<typeof fileDiffSchema>;

/** plan.json — what the plan step found, read by later steps. */
export const runPlanSchema = z.object({
  files: z.array(plannedFileSchema),
  diff: fileDiffSchema,
  skipped: z.record(z.number()),
  previousVersion: z.number().int().positive().nullable(),
  full: z.boolean(),
  /** digest of the previous version's file table: a compaction may commit meanwhile, an index run may not */
  baseDigest: z.string().optional(),
  /** why a run that did not ask for it rebuilds everything (e.g. the embedding model changed) */
  rebuild: z.string().optional(),
  /** when the listing started (ISO): stored as the version's scannedAt */
  scannedAt: z.string().optional(),
});
export type RunPlan = z.infer<typeof runPlanSchema>;

/** staged.json — what the chunk step staged: per file its chunk ids, per batch its size. */
export const stagedChunksSchema = z.object({
  fileChunks: z.record(z.array(z.string())),
  batchSizes: z.array(z.number().int().nonnegative()),
  /** chunk ids of each batch, in the order of its vectors */
  batchIds: z.array(z.array(z.string())),
  /** chunk ids already live in the previous version that changed files kept */
  reused: z.number().int().nonnegative(),
  /** per language, files that got plain line windows rather than syntax-aware chunks */
  lineWindowed: z.record(z.number().int().nonnegative()).optional(),
});
export type StagedChunks = z.infer<typeof stagedChunksSchema>;

/** bNNNNN.chunks.json — one staged batch. */
export const chunkBatchSchema = z.array(chunkSchema);

export const embeddingContractSchema = z.object({
  model: z.string().min(1),
  provider: z.enum(['hashing', 'vllm', 'onnx']),
  dim: z.number().int().positive(),
  dtype: z.literal('float32'),
  pooling: z.string(),
  normalize: z.boolean(),
  queryInstruction: z.string(),
});

/** bNNNNN.dense.json — how a batch's vectors were made (the vectors themselves are bNNNNN.dense.f32). */
export const denseBatchInfoSchema = z.object({
  count: z.number().int().nonnegative(),
  model: z.string(),
  provider: z.string(),
  dim: z.number().int().positive(),
  batchSizeUsed: z.number().int().nonnegative(),
  contract: embeddingContractSchema,
  halvings: z.number().int().nonnegative().optional(),
});
export type DenseBatchInfo = z.infer<typeof denseBatchInfoSchema>;

export const sparseContractSchema = z.object({ model: z.string(), topK: z.number(), minWeight: z.number() });

/** bNNNNN.sparse.json — a batch's SPLADE terms, one map per chunk in batch order. */
export const sparseBatchSchema = z.object({
  contract: sparseContractSchema,
  vectors: z.array(z.record(z.number())),
});
export type SparseBatch = z.infer<typeof sparseBatchSchema>;
