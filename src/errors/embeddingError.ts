import { CodeintelError } from './codeintelError.js';

/**
 * Failures of a remote embedding call, classified for the job layer:
 * `retryable: false` means "the same request will fail again" (bad input,
 * wrong model, malformed answer) so the job should fail with BullMQ's
 * UnrecoverableError; `retryable: true` means the service was unavailable
 * and the job may be retried later. Device OOM is a separate class
 * (OutOfMemoryError) because the remedy is a smaller batch.
 */
export class EmbeddingError extends CodeintelError {
  readonly kind: 'unavailable' | 'upstream';
  readonly retryable: boolean;
  /** HTTP status of the (last) answer, when there was one. */
  readonly status?: number;
  /** The endpoint that failed, so operators know which server to look at. */
  readonly url?: string;
  /** Server-requested wait (Retry-After), already parsed to milliseconds. */
  readonly retryAfterMs?: number;

  constructor(
    message: string,
    opts: { retryable: boolean; status?: number; url?: string; retryAfterMs?: number; cause?: unknown },
  ) {
    super('embedding-failed', message, {}, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.retryable = opts.retryable;
    this.kind = opts.retryable ? 'unavailable' : 'upstream';
    this.status = opts.status;
    this.url = opts.url;
    this.retryAfterMs = opts.retryAfterMs;
  }
}
