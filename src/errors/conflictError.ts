import { CodeintelError } from './codeintelError.js';

/** The current state forbids this now (a run already in progress, an answer already ended). */
export class ConflictError extends CodeintelError {
  readonly kind = 'conflict' as const;
  readonly retryable = false;
}
