import { CodeintelError } from './codeintelError.js';

/** The write lease expired while working: nothing was committed, a retry starts over. */
export class LeaseLostError extends CodeintelError {
  readonly kind = 'unavailable' as const;
  readonly retryable = true;
  constructor(readonly repo: string) {
    super('lease-lost', `lost the write lease on repo ${repo} (expired while working); nothing was committed`, { repo });
  }
}
