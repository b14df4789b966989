import { CodeintelError } from './codeintelError.js';

/** A dependency answered with a failure part way (e.g. the generator stopped). */
export class UpstreamError extends CodeintelError {
  readonly kind = 'upstream' as const;
  readonly retryable = false;
}
