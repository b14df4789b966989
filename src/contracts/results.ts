/** A sink's outcome for one batch or one run. */
export type SinkStatus = { status: 'ok' | 'failed'; detail?: string };

/** What index.run returns (and GET /v1/index-jobs/:id shows as `result`). */
export interface IndexRunResult {
  manifestVersion: number;
  files: number;
  chunks: number;
  added: number;
  changed: number;
  deleted: number;
  unchanged: number;
  durationMs: number;
  embedding: { model: string; dim: number };
  skipped: Record<string, number>;
  /** per language, files of this run chunked as plain line windows (no grammar, or a parse failure) */
  lineWindowed?: Record<string, number>;
  sinks: Record<string, SinkStatus>;
  note?: string;
}

/** Where index.run reports progress (job.updateProgress): GET /v1/index-jobs/:id shows it. */
export interface IndexRunProgress {
  phase: 'plan' | 'chunk' | 'encode' | 'finalize' | 'done';
  files: { total: number; done: number };
  chunks: { total: number; embedded: number; expanded: number; written: number };
}

export const emptyProgress = (): IndexRunProgress => ({
  phase: 'plan',
  files: { total: 0, done: 0 },
  chunks: { total: 0, embedded: 0, expanded: 0, written: 0 },
});

export interface EncodeDenseResult {
  count: number;
  model: string;
  provider: string;
  dim: number;
  batchSizeUsed: number;
}

export interface EncodeSparseResult {
  count: number;
  sizeUsed: number;
}

export interface SinkBatchResult {
  batchIndex: number;
  part: string;
  written: number;
  sinks: Record<string, SinkStatus>;
}

export interface FaissCompactResult {
  repo: string;
  /** false when there was nothing to fold in (no secondary, no deletions, one part) */
  compacted: boolean;
  fromVersion: number;
  version: number;
  reason: string;
  primary: { type: string; count: number; trainedOn: number } | null;
  /** vectors of the old primary + secondary that the new primary no longer holds (deleted or duplicate) */
  droppedVectors: number;
  parts: { before: number; after: number };
  durationMs: number;
  note?: string;
}

/** answer.run streams its events to Redis; its return value only says how it ended. */
export interface AnswerRunResult {
  state: 'completed' | 'failed' | 'cancelled' | 'interrupted';
  citations: number;
  timingsMs: Record<string, number>;
}
