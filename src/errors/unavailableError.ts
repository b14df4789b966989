import { CodeintelError } from './codeintelError.js';

/** A dependency is down or busy: the same request may succeed later. */
export class UnavailableError extends CodeintelError {
  readonly kind = 'unavailable' as const;
  readonly retryable = true;
}
