import { UnrecoverableError } from 'bullmq';
import { CodeintelError } from '../src/errors/codeintelError.js';

/**
 * The job boundary's one rule: a domain error that declares it cannot
 * succeed on a retry (a bad payload, a permanent 4xx from vLLM, a batch of
 * one that still runs out of memory) fails the job at once with BullMQ's
 * UnrecoverableError; anything else is retried by the job's backoff policy.
 */
export function toJobError(err: unknown): unknown {
  if (err instanceof CodeintelError && !err.retryable) {
    return new UnrecoverableError(err.message);
  }
  return err;
}
