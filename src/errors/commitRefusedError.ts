import { CodeintelError } from './codeintelError.js';

/** Why an index run's commit was refused; each one needs a new run (or `full: true`), never a retry. */
export type CommitRefusal = 'repo-moved' | 'no-embeddings' | 'mixed-models' | 'model-changed';

/**
 * An index run cannot commit what it staged: the repo moved on under it, or
 * its vectors do not fit one index. Retrying the same run gives the same answer.
 */
export class CommitRefusedError extends CodeintelError {
  readonly kind = 'conflict' as const;
  readonly retryable = false;
  constructor(
    readonly reason: CommitRefusal,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super('commit-refused', message, { reason, ...details });
  }
}
