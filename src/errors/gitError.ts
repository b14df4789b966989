import { CodeintelError } from './codeintelError.js';

/** A git command failed or timed out. */
export class GitError extends CodeintelError {
  readonly kind = 'upstream' as const;
  readonly retryable = false;
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly timedOut: boolean,
  ) {
    super('git-failed', message, { exitCode, timedOut });
  }
}
