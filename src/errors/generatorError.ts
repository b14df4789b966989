import { CodeintelError } from './codeintelError.js';

/** The answer generator (chat completions) failed. */
export class GeneratorError extends CodeintelError {
  readonly kind = 'upstream' as const;
  constructor(
    message: string,
    readonly status?: number,
    readonly retryable = true,
  ) {
    super('generator-failed', message, status === undefined ? {} : { upstreamStatus: status });
  }
}
