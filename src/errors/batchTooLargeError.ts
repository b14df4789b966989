import { CodeintelError } from './codeintelError.js';

/** Even a batch of one ran out of device memory: this input cannot be encoded on this device. */
export class BatchTooLargeError extends CodeintelError {
  readonly kind = 'unprocessable' as const;
  readonly retryable = false;
  constructor(message: string, override readonly cause: Error) {
    super('batch-too-large', message, {}, { cause });
  }
}
