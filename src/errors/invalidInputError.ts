import { CodeintelError } from './codeintelError.js';

/** The request or payload is malformed: the same input fails again. */
export class InvalidInputError extends CodeintelError {
  readonly kind = 'invalid' as const;
  readonly retryable = false;
}
