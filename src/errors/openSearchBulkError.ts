import { CodeintelError } from './codeintelError.js';

export interface BulkItemFailure {
  id: string;
  status: number;
  type?: string;
  reason?: string;
}

/** Some items of an OpenSearch bulk request failed after their retries. */
export class OpenSearchBulkError extends CodeintelError {
  readonly kind = 'upstream' as const;
  constructor(
    message: string,
    readonly failures: BulkItemFailure[],
    readonly retryable: boolean,
    readonly attempts: number,
  ) {
    super('opensearch-bulk-failed', message, { failed: failures.length, attempts });
  }
}
