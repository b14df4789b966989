import { CodeintelError } from './codeintelError.js';

/** The caller may not do this (e.g. a path outside REPO_ROOTS). */
export class ForbiddenError extends CodeintelError {
  readonly kind = 'forbidden' as const;
  readonly retryable = false;
}
