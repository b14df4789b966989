import { CodeintelError } from './codeintelError.js';

/**
 * A batch of an index run has no written Parquet part among its sink job's
 * results. Retryable, as it has always been: the commit is tried again.
 */
export class BatchPartMissingError extends CodeintelError {
  readonly kind = 'unavailable' as const;
  readonly retryable = true;
  constructor(
    readonly runId: string,
    readonly batch: number,
  ) {
    super('batch-part-missing', `batch ${batch} of run ${runId} has no written Parquet part yet`, { runId, batch });
  }
}
