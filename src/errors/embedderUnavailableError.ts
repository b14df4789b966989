import { CodeintelError } from './codeintelError.js';

/** No embedder can be reached now (vLLM down and no fallback allowed): retry later. */
export class EmbedderUnavailableError extends CodeintelError {
  readonly kind = 'unavailable' as const;
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super('embedder-unavailable', message, {}, options);
  }
}
