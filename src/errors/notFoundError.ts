import { CodeintelError } from './codeintelError.js';

/** The thing asked for does not exist (an unknown job, answer or repo). */
export class NotFoundError extends CodeintelError {
  readonly kind = 'not_found' as const;
  readonly retryable = false;
}
