import { CodeintelError } from './codeintelError.js';

/** A job payload failed its schema: the job can never succeed, so it fails at once. */
export class InvalidPayloadError extends CodeintelError {
  readonly kind = 'invalid' as const;
  readonly retryable = false;
  constructor(readonly jobName: string, issues: string) {
    super('invalid-payload', `${jobName} payload is invalid and can never succeed: ${issues}`, { jobName });
  }
}
