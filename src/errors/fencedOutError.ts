import { CodeintelError } from './codeintelError.js';

/**
 * A manifest commit was refused because a newer writer holds (or held) the repo's lease:
 * this writer's fencing token is older than one already committed, or its version number
 * was taken. Nothing was committed; a retry starts over with a fresh lease.
 */
export class FencedOutError extends CodeintelError {
  readonly kind = 'unavailable' as const;
  readonly retryable = true;
  constructor(
    readonly repo: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super('fenced-out', message, { repo, ...details });
  }
}
