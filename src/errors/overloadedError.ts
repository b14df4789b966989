import { CodeintelError } from './codeintelError.js';

/**
 * A bound was reached (too many open streams, a budget spent): the same request may
 * succeed later. `retryAfterS` becomes the response's Retry-After header.
 */
export class OverloadedError extends CodeintelError {
  readonly kind = 'unavailable' as const;
  readonly retryable = true;
  constructor(code: string, message: string, readonly retryAfterS: number, details: Record<string, unknown> = {}) {
    super(code, message, { retryAfterS, ...details });
  }
}
