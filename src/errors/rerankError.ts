import { CodeintelError } from './codeintelError.js';

/** The reranker failed; the answer goes on with the fused order. */
export class RerankError extends CodeintelError {
  readonly kind = 'upstream' as const;
  readonly retryable = true;
  constructor(message: string, readonly status?: number) {
    super('rerank-failed', message, status === undefined ? {} : { upstreamStatus: status });
  }
}
