import { CodeintelError } from './codeintelError.js';

/** It existed but is no longer kept (expired events). */
export class GoneError extends CodeintelError {
  readonly kind = 'gone' as const;
  readonly retryable = false;
}
