import { CodeintelError } from './codeintelError.js';

/**
 * A staged artifact a job needs is not in the artifact store. Retryable: with
 * several workers on one queue, another may be the one that can reach it.
 */
export class ArtifactMissingError extends CodeintelError {
  readonly kind = 'not_found' as const;
  readonly retryable = true;
  constructor(readonly key: string) {
    super('artifact-missing', `artifact ${key} is missing from the artifact store`, { key });
  }
}
