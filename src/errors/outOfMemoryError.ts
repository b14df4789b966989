import { CodeintelError } from './codeintelError.js';

/** The device ran out of memory for this batch: the caller halves the batch and tries again. */
export class OutOfMemoryError extends CodeintelError {
  readonly kind = 'unavailable' as const;
  readonly retryable = true;
  constructor(message: string, readonly batchSize: number) {
    super('out-of-memory', message, { batchSize });
  }
}
