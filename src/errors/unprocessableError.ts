import { CodeintelError } from './codeintelError.js';

/** Well-formed, but it cannot be done as asked (e.g. a repo with nothing to index). */
export class UnprocessableError extends CodeintelError {
  readonly kind = 'unprocessable' as const;
  readonly retryable = false;
}
