import { CodeintelError } from './codeintelError.js';

/** The caller cancelled the operation (an answer's DELETE, or its last client went away). */
export class CancelledError extends CodeintelError {
  readonly kind = 'cancelled' as const;
  readonly retryable = false;
  constructor(message = 'the answer was cancelled') {
    super('cancelled', message);
  }
}
